// One-time sign-in codes: a signed-in website user creates one, a new client (e.g. VS Code) trades it for a device token.
import type { Knex } from 'knex';
import { MyDropboxError, DeviceKind, SignInResponse } from '@mydropbox/shared';
import { hashSecret, randomSecret } from '@mydropbox/server-common';
import { consumeLoginCode, deleteOldLoginCodes, insertLoginCode, peekLoginCode } from '../stores/loginCodeStore';
import { findUser } from '../stores/userStore';
import type { DataServerRegistry } from './dataServers';
import type { DeviceService } from './devices';

// Long enough to click "Open in VS Code" and confirm in the editor; short enough that a link sent to someone else goes stale.
export const LOGIN_CODE_TTL_MS = 2 * 60_000;

export interface LoginCodeService {
  /** `sessionDeviceId`: the browser session (or device) asking; the code dies with it, and replaces its earlier unused one. */
  create(username: string, sessionDeviceId?: number): Promise<{ code: string; expiresAt: number }>;
  /** Whose account a code would sign in to, without using it; unauthorized like redeem. */
  inspect(code: string): Promise<{ username: string }>;
  /** Single use; unknown, used, expired or its session ended → unauthorized. */
  redeem(code: string, deviceName: string | undefined, deviceKind: DeviceKind): Promise<SignInResponse>;
}

export function createLoginCodeService(deps: {
  db: Knex;
  devices: DeviceService;
  dataServers: DataServerRegistry;
  now: () => number;
}): LoginCodeService {
  const { db, devices, dataServers, now } = deps;
  return {
    async create(username, sessionDeviceId) {
      const user = await findUser(db, username);
      if (!user) throw new MyDropboxError('not_found', `There is no account "${username}".`);
      const t = now();
      await deleteOldLoginCodes(db, t);
      // 192 random bits: guessing is hopeless, so redeeming needs no throttle of its own.
      const code = randomSecret('mdbc_', 24);
      const expiresAt = t + LOGIN_CODE_TTL_MS;
      await insertLoginCode(db, { codeHash: hashSecret(code), username: user.username, now: t, expiresAt, deviceId: sessionDeviceId });
      return { code, expiresAt };
    },
    async inspect(code) {
      const username = typeof code === 'string' && code.length <= 200 ? await peekLoginCode(db, hashSecret(code), now()) : undefined;
      if (!username) throw invalidCode();
      return { username };
    },
    async redeem(code, deviceName, deviceKind) {
      const username = typeof code === 'string' && code.length <= 200 ? await consumeLoginCode(db, hashSecret(code), now()) : undefined;
      const user = username ? await findUser(db, username) : undefined;
      if (!user) throw invalidCode();
      const { token, device } = await devices.create(user.username, deviceName, deviceKind);
      return {
        username: user.username,
        deviceId: device.id,
        deviceToken: token,
        dataServer: await dataServers.addressOf(user.dataServerId),
      };
    },
  };
}

function invalidCode(): MyDropboxError {
  return new MyDropboxError(
    'unauthorized',
    'This sign-in code is not valid: it was already used or has expired. Start the sign-in again from the website.',
  );
}
