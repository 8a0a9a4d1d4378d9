// Device tokens and app passwords: issuing, authenticating, listing and revoking signed-in clients.
import type { Knex } from 'knex';
import { MyDropboxError, DeviceKind } from '@mydropbox/shared';
import { hashSecret, randomSecret } from '@mydropbox/server-common';
import {
  DeviceRecord,
  findActiveDeviceByHash,
  insertDevice,
  listActiveDevices,
  revokeDevice,
  revokeOtherDevices,
  touchDevice,
} from '../stores/deviceStore';
import type { Throttle } from './throttle';
import { normalizeUsername } from './credentials';

export const DEVICE_KINDS: readonly DeviceKind[] = ['daemon', 'vscode', 'webdav', 'web'];
const DEFAULT_NAMES: Record<DeviceKind, string> = { daemon: 'MyDropbox daemon', vscode: 'VS Code', webdav: 'WebDAV', web: 'Web browser' };
const DEVICE_TOKEN_PREFIX = 'mdbd_';
const APP_PASSWORD_PREFIX = 'mdbw_';
/** Signed-in devices, browsers and app passwords one account may hold; every sign-in makes a row. */
export const MAX_DEVICES_PER_ACCOUNT = 100;
// LastSeenAt is for people reading the Devices page; writing it on every request would cost a write per call.
const TOUCH_INTERVAL_MS = 60_000;

export type DeviceInfo = Omit<DeviceRecord, 'revokedAt'>;

export interface AuthenticatedDevice {
  username: string;
  deviceId: number;
  kind: DeviceKind;
  /** The name the person gave the device; data servers record it as who made a change. */
  name?: string;
}

export interface DeviceService {
  /** Creates a device and returns its token (shown once; only its hash is stored). */
  create(username: string, name: string | undefined, kind: DeviceKind): Promise<{ token: string; device: DeviceInfo }>;
  /** The device behind a Bearer device token; revoked or unknown → unauthorized. App passwords are not accepted here. */
  authenticate(deviceToken: string): Promise<AuthenticatedDevice>;
  list(username: string): Promise<DeviceInfo[]>;
  revoke(username: string, deviceId: number): Promise<void>;
  /** Signs out every device of the user but `exceptId` (only web sessions with `onlyWeb`); returns how many. */
  revokeOthers(username: string, exceptId: number | undefined, opts?: { onlyWeb?: boolean }): Promise<number>;
  createAppPassword(username: string, name: string): Promise<{ password: string; device: DeviceInfo }>;
  /** For WebDAV Basic auth; wrong ones are throttled per address. Wrong user or password → bad_credentials. */
  authenticateAppPassword(username: string, password: string, clientAddress: string): Promise<AuthenticatedDevice>;
}

export function deviceName(input: unknown, kind: DeviceKind): string {
  if (input === undefined || input === null || input === '') return DEFAULT_NAMES[kind];
  if (typeof input !== 'string' || input.length > 100 || /[\u0000-\u001f\u007f]/.test(input)) {
    throw new MyDropboxError('invalid_request', 'A device name is up to 100 characters, without control characters.');
  }
  return input.trim() || DEFAULT_NAMES[kind];
}

function info(d: DeviceRecord): DeviceInfo {
  return { id: d.id, username: d.username, name: d.name, kind: d.kind, createdAt: d.createdAt, lastSeenAt: d.lastSeenAt };
}

export function createDeviceService(deps: {
  db: Knex;
  throttle: Throttle;
  now: () => number;
  /** Told the ids of devices just revoked (the router passes them on to the data servers). */
  onRevoked?: (deviceIds: number[]) => Promise<void>;
}): DeviceService {
  const { db, throttle, now } = deps;

  async function issue(username: string, name: string, kind: DeviceKind, prefix: string) {
    const active = await listActiveDevices(db, username);
    if (active.length >= MAX_DEVICES_PER_ACCOUNT) {
      // Browsers come and go (a cookie cleared is a session left behind): the least recently used one makes room.
      const stale = active.filter((d) => d.kind === 'web').sort((a, b) => (a.lastSeenAt ?? a.createdAt) - (b.lastSeenAt ?? b.createdAt))[0];
      if (!stale) {
        throw new MyDropboxError(
          'invalid_request',
          `This account already has ${MAX_DEVICES_PER_ACCOUNT} signed-in devices and app passwords; revoke some on the Devices page first.`,
        );
      }
      await revokeDevice(db, username, stale.id, now());
      await deps.onRevoked?.([stale.id]);
    }
    const token = randomSecret(prefix);
    const device = await insertDevice(db, { username, name, kind, tokenHash: hashSecret(token), now: now() });
    return { token, device: info(device) };
  }

  async function touch(d: DeviceRecord): Promise<void> {
    const t = now();
    if (d.lastSeenAt === null || t - d.lastSeenAt >= TOUCH_INTERVAL_MS) await touchDevice(db, d.id, t);
  }

  return {
    async create(username, name, kind) {
      if (!DEVICE_KINDS.includes(kind))
        throw new MyDropboxError('invalid_request', `Device kind must be one of ${DEVICE_KINDS.join(', ')}.`);
      return issue(username, deviceName(name, kind), kind, DEVICE_TOKEN_PREFIX);
    },
    async authenticate(deviceToken) {
      const d =
        typeof deviceToken === 'string' && deviceToken.startsWith(DEVICE_TOKEN_PREFIX)
          ? await findActiveDeviceByHash(db, hashSecret(deviceToken))
          : undefined;
      if (!d || d.kind === 'webdav') {
        throw new MyDropboxError('unauthorized', 'This device is signed out or its token is not valid; please sign in again.');
      }
      await touch(d);
      return { username: d.username, deviceId: d.id, kind: d.kind, name: d.name };
    },
    async list(username) {
      return (await listActiveDevices(db, username)).map(info);
    },
    async revoke(username, deviceId) {
      if (!Number.isInteger(deviceId) || !(await revokeDevice(db, username, deviceId, now()))) {
        throw new MyDropboxError('not_found', 'There is no such signed-in device on your account.');
      }
      await deps.onRevoked?.([deviceId]);
    },
    async revokeOthers(username, exceptId, opts = {}) {
      const ids = await revokeOtherDevices(db, username, exceptId, now(), opts.onlyWeb ? ['web'] : undefined);
      await deps.onRevoked?.(ids);
      return ids.length;
    },
    async createAppPassword(username, name) {
      const { token, device } = await issue(username, deviceName(name, 'webdav'), 'webdav', APP_PASSWORD_PREFIX);
      return { password: token, device };
    },
    async authenticateAppPassword(username, password, clientAddress) {
      let account: string;
      try {
        account = normalizeUsername(username);
      } catch {
        account = String(username).slice(0, 200).toLowerCase();
      }
      // Only the address is throttled: a 256-bit secret cannot be guessed, and wrong account passwords must not lock it out.
      await throttle.assertAppPasswordAllowed(clientAddress);
      const d =
        typeof password === 'string' && password.startsWith(APP_PASSWORD_PREFIX)
          ? await findActiveDeviceByHash(db, hashSecret(password))
          : undefined;
      if (!d || d.kind !== 'webdav' || d.username !== account) {
        await throttle.recordAppPasswordFailure(clientAddress);
        throw new MyDropboxError(
          'bad_credentials',
          'The username or app password is not right. Create an app password on the website under Devices.',
        );
      }
      await touch(d);
      return { username: d.username, deviceId: d.id, kind: d.kind };
    },
  };
}
