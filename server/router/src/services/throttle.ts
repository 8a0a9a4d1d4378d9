// Login throttling keyed by account and by client address, kept in LoginAttempts so restarts and other processes share it.
import type { Knex } from 'knex';
import { MyDropboxError } from '@mydropbox/shared';
import {
  deleteLoginAttempt,
  deleteLoginAttemptsBefore,
  findLoginAttempts,
  updateLoginAttempt,
  LoginAttemptRecord,
} from '../stores/loginAttemptStore';

export interface ThrottlePolicy {
  /** Failures within `windowMs` that lock an account. */
  accountLimit: number;
  /** Failures within `windowMs` that lock a client address (many accounts tried from one place). */
  addressLimit: number;
  windowMs: number;
  /** The first lockout lasts this long; each further one doubles it, up to `maxLockMs`. */
  baseLockMs: number;
  maxLockMs: number;
  /** A key whose last lockout ended this long ago starts again from the first lockout. */
  forgetAfterMs: number;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = {
  accountLimit: 5,
  addressLimit: 20,
  windowMs: 15 * 60_000,
  baseLockMs: 60_000,
  maxLockMs: 60 * 60_000,
  forgetAfterMs: 24 * 3600_000,
};

export interface ThrottleSubject {
  /** The username as typed (normalised), whether or not such an account exists. */
  account: string;
  clientAddress: string;
}

export interface Throttle {
  /** Throws rate_limited (with details.retryAfterSeconds) while the account or the address is locked. */
  assertAllowed(subject: ThrottleSubject): Promise<{ accountHasFailures: boolean }>;
  recordFailure(subject: ThrottleSubject): Promise<void>;
  /** A correct password clears the account's counter (not the address's: one success must not hide a spray). */
  recordSuccess(subject: ThrottleSubject): Promise<void>;
}

export const accountKey = (account: string) => `account:${account}`;
export const addressKey = (address: string) => `address:${address}`;

export function createThrottle(db: Knex, now: () => number, policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY): Throttle {
  const fail = (limit: number) => (cur: LoginAttemptRecord) => {
    const t = now();
    const fresh = t - cur.windowStartedAt > policy.windowMs;
    const lockouts = cur.lockedUntil > 0 && t - cur.lockedUntil > policy.forgetAfterMs ? 0 : cur.lockouts;
    const failures = (fresh ? 0 : cur.failures) + 1;
    const windowStartedAt = fresh ? t : cur.windowStartedAt;
    if (failures < limit) return { failures, windowStartedAt, lockouts, lockedUntil: cur.lockedUntil };
    const lockMs = Math.min(policy.maxLockMs, policy.baseLockMs * 2 ** lockouts);
    return { failures: 0, windowStartedAt: t, lockouts: lockouts + 1, lockedUntil: t + lockMs };
  };

  // Address rows would pile up forever; an hourly sweep drops those that can no longer matter.
  let lastSweep = 0;
  async function sweep(t: number): Promise<void> {
    if (t - lastSweep < 3600_000) return;
    lastSweep = t;
    await deleteLoginAttemptsBefore(db, t - policy.forgetAfterMs - policy.maxLockMs);
  }

  return {
    async assertAllowed(subject) {
      const rows = await findLoginAttempts(db, [accountKey(subject.account), addressKey(subject.clientAddress)]);
      const t = now();
      for (const row of rows) {
        if (row.lockedUntil > t) throw rateLimited(row, t);
      }
      const account = rows.find((r) => r.key === accountKey(subject.account));
      return { accountHasFailures: account !== undefined && account.failures > 0 };
    },
    async recordFailure(subject) {
      const t = now();
      await updateLoginAttempt(db, accountKey(subject.account), t, fail(policy.accountLimit));
      await updateLoginAttempt(db, addressKey(subject.clientAddress), t, fail(policy.addressLimit));
      await sweep(t);
    },
    async recordSuccess(subject) {
      await deleteLoginAttempt(db, accountKey(subject.account));
    },
  };
}

function rateLimited(row: LoginAttemptRecord, t: number): MyDropboxError {
  const seconds = Math.ceil((row.lockedUntil - t) / 1000);
  const who = row.key.startsWith('account:') ? 'this account' : 'your network address';
  return new MyDropboxError(
    'rate_limited',
    `Too many failed sign-in attempts for ${who}. Please wait ${describeWait(seconds)} and try again.`,
    { retryAfterSeconds: seconds, retryAt: new Date(row.lockedUntil).toISOString() },
  );
}

function describeWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
