// Every throttle of the router (sign-ins, app passwords, sign-ups), kept in LoginAttempts so restarts and other processes share it.
import type { Knex } from 'knex';
import { MyDropboxError } from '@mydropbox/shared';
import { deleteLoginAttempt, deleteLoginAttemptsBefore, findLoginAttempts, updateLoginAttempt } from '../stores/loginAttemptStore';
import type { LoginAttemptRecord } from '../stores/loginAttemptStore';

export interface ThrottleRule {
  /** Hits within `windowMs` that lock the key; the hit that reaches it is the last one let through. */
  limit: number;
  windowMs: number;
  /** The first lockout lasts this long; each further one doubles it, up to `maxLockMs`. */
  baseLockMs: number;
  maxLockMs: number;
}

export interface ThrottlePolicy {
  /** Wrong passwords for one account from one address: what stops a guesser without locking the owner out elsewhere. */
  pair: ThrottleRule;
  /** Wrong passwords for one account from anywhere: slower, against guessing spread over many addresses. */
  account: ThrottleRule;
  /** Wrong passwords from one address for any accounts (password spraying). */
  address: ThrottleRule;
  /** Wrong app passwords from one address (the secrets are 256 bits; this only bounds the load). */
  appPassword: ThrottleRule;
  /** New accounts from one address: each one reserves a quota of data-server capacity. */
  signUpAddress: ThrottleRule;
  /** New accounts from everywhere together. */
  signUpGlobal: ThrottleRule;
  /** Wrong passwords of one share link from one address (default: DEFAULT_THROTTLE_POLICY's). */
  sharePassword?: ThrottleRule;
  /** A key whose last lockout ended this long ago starts again from the first lockout. */
  forgetAfterMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = {
  pair: { limit: 5, windowMs: 15 * MINUTE, baseLockMs: MINUTE, maxLockMs: HOUR },
  account: { limit: 50, windowMs: 15 * MINUTE, baseLockMs: 5 * MINUTE, maxLockMs: HOUR },
  address: { limit: 20, windowMs: 15 * MINUTE, baseLockMs: MINUTE, maxLockMs: HOUR },
  appPassword: { limit: 20, windowMs: 15 * MINUTE, baseLockMs: MINUTE, maxLockMs: HOUR },
  signUpAddress: { limit: 5, windowMs: HOUR, baseLockMs: HOUR, maxLockMs: 24 * HOUR },
  signUpGlobal: { limit: 50, windowMs: HOUR, baseLockMs: 10 * MINUTE, maxLockMs: HOUR },
  sharePassword: { limit: 10, windowMs: 15 * MINUTE, baseLockMs: MINUTE, maxLockMs: HOUR },
  forgetAfterMs: 24 * HOUR,
};

export interface ThrottleSubject {
  /** The username as typed (normalised), whether or not such an account exists. */
  account: string;
  clientAddress: string;
}

export interface Throttle {
  /** Throws rate_limited (details.retryAfterSeconds, retryAt) while this account may not be tried from this address. */
  assertSignInAllowed(subject: ThrottleSubject): Promise<void>;
  recordSignInFailure(subject: ThrottleSubject): Promise<void>;
  /** A correct password clears its own pair's counter only: one success must not hide a spray or a spread attack. */
  recordSignInSuccess(subject: ThrottleSubject): Promise<void>;
  assertAppPasswordAllowed(clientAddress: string): Promise<void>;
  recordAppPasswordFailure(clientAddress: string): Promise<void>;
  /** Counts one new account from this address; throws rate_limited when this one would be over a limit. */
  takeSignUp(clientAddress: string): Promise<void>;
  assertSharePasswordAllowed(linkId: number, clientAddress: string): Promise<void>;
  recordSharePasswordFailure(linkId: number, clientAddress: string): Promise<void>;
}

/**
 * The part of an address that one party controls: an IPv4 address, or the /64 of an IPv6 address
 * (one home or server gets a whole /64, so counting single IPv6 addresses would count nothing).
 */
export function addressGroup(address: string): string {
  const ip = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  if (!ip.includes(':')) return ip;
  const [head, tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

type Kind = 'pair' | 'account' | 'address' | 'app' | 'signup' | 'share';
const keyOf = (kind: Kind, ...parts: string[]) => `${kind}:${parts.join('@')}`;
export const pairKey = (account: string, address: string) => keyOf('pair', account, addressGroup(address));
export const accountKey = (account: string) => keyOf('account', account);
export const addressKey = (address: string) => keyOf('address', addressGroup(address));
export const appPasswordKey = (address: string) => keyOf('app', addressGroup(address));
export const signUpKey = (address: string) => keyOf('signup', addressGroup(address));
export const SIGN_UP_GLOBAL_KEY = 'signup:*';
export const sharePasswordKey = (linkId: number, address: string) => keyOf('share', String(linkId), addressGroup(address));

export function createThrottle(db: Knex, now: () => number, policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY): Throttle {
  const hit = (rule: ThrottleRule) => (cur: LoginAttemptRecord) => {
    const t = now();
    const fresh = t - cur.windowStartedAt > rule.windowMs;
    const lockouts = cur.lockedUntil > 0 && t - cur.lockedUntil > policy.forgetAfterMs ? 0 : cur.lockouts;
    const failures = (fresh ? 0 : cur.failures) + 1;
    const windowStartedAt = fresh ? t : cur.windowStartedAt;
    if (failures < rule.limit) return { failures, windowStartedAt, lockouts, lockedUntil: cur.lockedUntil };
    const lockMs = Math.min(rule.maxLockMs, rule.baseLockMs * 2 ** lockouts);
    return { failures: 0, windowStartedAt: t, lockouts: lockouts + 1, lockedUntil: t + lockMs };
  };

  // Rows of addresses would pile up forever; an hourly sweep drops those that can no longer matter.
  const longestLock = Math.max(...Object.values(policy).map((r: ThrottleRule | number) => (typeof r === 'number' ? 0 : r.maxLockMs)));
  let lastSweep = 0;
  async function sweep(t: number): Promise<void> {
    if (t - lastSweep < HOUR) return;
    lastSweep = t;
    await deleteLoginAttemptsBefore(db, t - policy.forgetAfterMs - longestLock);
  }

  async function assertUnlocked(keys: string[]): Promise<void> {
    const rows = await findLoginAttempts(db, keys);
    const t = now();
    // The longest lock decides: that is when trying again can work.
    const locked = rows.filter((r) => r.lockedUntil > t).sort((a, b) => b.lockedUntil - a.lockedUntil)[0];
    if (locked) throw rateLimited(locked, t);
  }

  async function record(entries: [string, ThrottleRule][]): Promise<void> {
    const t = now();
    for (const [key, rule] of entries) await updateLoginAttempt(db, key, t, hit(rule));
    await sweep(t);
  }

  const signInKeys = (s: ThrottleSubject): [string, ThrottleRule][] => [
    [pairKey(s.account, s.clientAddress), policy.pair],
    [accountKey(s.account), policy.account],
    [addressKey(s.clientAddress), policy.address],
  ];

  return {
    assertSignInAllowed: (s) => assertUnlocked(signInKeys(s).map(([k]) => k)),
    recordSignInFailure: (s) => record(signInKeys(s)),
    recordSignInSuccess: (s) => deleteLoginAttempt(db, pairKey(s.account, s.clientAddress)),
    assertAppPasswordAllowed: (address) => assertUnlocked([appPasswordKey(address)]),
    recordAppPasswordFailure: (address) => record([[appPasswordKey(address), policy.appPassword]]),
    assertSharePasswordAllowed: (linkId, address) => assertUnlocked([sharePasswordKey(linkId, address)]),
    recordSharePasswordFailure: (linkId, address) =>
      record([[sharePasswordKey(linkId, address), policy.sharePassword ?? DEFAULT_THROTTLE_POLICY.sharePassword!]]),
    async takeSignUp(address) {
      // Checked and counted under each row's lock, so parallel sign-ups cannot all slip past the limit.
      const t = now();
      for (const [key, rule] of [
        [signUpKey(address), policy.signUpAddress],
        [SIGN_UP_GLOBAL_KEY, policy.signUpGlobal],
      ] as const) {
        let refused: LoginAttemptRecord | undefined;
        await updateLoginAttempt(db, key, t, (cur) => {
          if (cur.lockedUntil > t) {
            refused = cur;
            return cur;
          }
          return hit(rule)(cur);
        });
        if (refused) throw rateLimited(refused, t);
      }
      await sweep(t);
    },
  };
}

const WHO: Record<Kind, (wait: string) => string> = {
  pair: (wait) => `Too many failed sign-in attempts for this account from your network address. Please try again in ${wait}.`,
  account: (wait) =>
    `Too many failed sign-in attempts for this account from many places. Please try again in ${wait}; your devices and app passwords keep working.`,
  address: (wait) => `Too many failed sign-in attempts from your network address. Please try again in ${wait}.`,
  app: (wait) => `Too many wrong app passwords from your network address. Please try again in ${wait}.`,
  signup: (wait) => `Too many new accounts were created just now. Please try again in ${wait}.`,
  share: (wait) => `Too many wrong passwords for this link from your network address. Please try again in ${wait}.`,
};

function rateLimited(row: LoginAttemptRecord, t: number): MyDropboxError {
  const seconds = Math.ceil((row.lockedUntil - t) / 1000);
  const kind = row.key.slice(0, row.key.indexOf(':')) as Kind;
  return new MyDropboxError('rate_limited', (WHO[kind] ?? WHO.address)(describeWait(seconds)), {
    retryAfterSeconds: seconds,
    retryAt: new Date(row.lockedUntil).toISOString(),
  });
}

function describeWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hours`;
}
