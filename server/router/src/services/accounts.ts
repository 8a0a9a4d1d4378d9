// Sign-up (with data server assignment) and sign-in (throttled, issuing a device token).
import type { Knex } from 'knex';
import { MyDropboxError, DeviceKind, MeResponse, QUOTA_BYTES, SignInResponse, SignUpResponse } from '@mydropbox/shared';
import { isUniqueViolation, Logger } from '@mydropbox/server-common';
import { deleteUserRows, findUser, findUserByEmail, insertUser, setPasswordHash, type UserRecord } from '../stores/userStore';
import { listDataServers } from '../stores/dataServerStore';
import type { DataServerRegistry } from './dataServers';
import type { DeviceService } from './devices';
import type { Throttle } from './throttle';
import { checkNewPassword, hashPassword, normalizeEmail, normalizeUsername, passwordMatches } from './credentials';

export interface SignUpInput {
  username: string;
  email: string;
  password: string;
  /** Where the request came from, for the sign-up throttle; in-process callers (tests, tools) may leave it out. */
  clientAddress?: string;
}

export interface SignInInput {
  username: string;
  password: string;
  /** The socket address, or the proxy's client address when a trusted proxy is configured. */
  clientAddress: string;
  deviceName?: string;
  deviceKind: DeviceKind;
}

export interface ChangePasswordInput {
  username: string;
  currentPassword: string;
  newPassword: string;
  clientAddress: string;
  /** The session making the change: it stays signed in. */
  currentDeviceId?: number;
  /** Keep sync clients, VS Code and app passwords signed in; other web sessions are signed out either way. */
  keepDevices?: boolean;
}

export interface DeleteAccountInput {
  username: string;
  password: string;
  clientAddress: string;
  /** The session asking; it is removed with the rest. */
  currentDeviceId?: number;
}

export interface AccountService {
  signUp(input: SignUpInput): Promise<SignUpResponse>;
  signIn(input: SignInInput): Promise<SignInResponse>;
  /** Checks the current password (throttled like a sign-in), sets the new one and signs out the other sessions; returns how many. */
  changePassword(input: ChangePasswordInput): Promise<{ signedOut: number }>;
  /** Checks the password, then removes the account everywhere (see removeAccount). */
  deleteAccount(input: DeleteAccountInput): Promise<void>;
  /**
   * Removes an account without a password (the administrator's command): signs out its devices,
   * empties it on its data server, then removes its central rows, which frees its capacity.
   */
  removeAccount(username: string, keepDeviceId?: number): Promise<void>;
  /** Who a signed-in user is and where their data lives; not_found if the account is gone. */
  getUser(username: string): Promise<MeResponse>;
}

const NO_CAPACITY = 'No data server has room for a new account right now; please try again later or contact the administrator.';
const BAD_CREDENTIALS = 'The username or password is not right. Check both and try again.';

export function createAccountService(deps: {
  db: Knex;
  log: Logger;
  now: () => number;
  throttle: Throttle;
  devices: DeviceService;
  dataServers: DataServerRegistry;
  /** Empties the account on its data server (FileGateway.deleteAccount). */
  removeData: (username: string) => Promise<void>;
}): AccountService {
  const { db, log, now, throttle, devices, dataServers, removeData } = deps;

  /** A password check for an action of a signed-in person, counted by the sign-in throttle like any guess. */
  async function verifyPassword(user: UserRecord, password: unknown, clientAddress: string, wrong: string): Promise<void> {
    const subject = { account: user.username, clientAddress };
    await throttle.assertSignInAllowed(subject);
    if (!(await passwordMatches(user.passwordHash, typeof password === 'string' ? password : ''))) {
      await throttle.recordSignInFailure(subject);
      throw new MyDropboxError('bad_credentials', wrong);
    }
  }

  return {
    async signUp(input) {
      const username = normalizeUsername(input?.username);
      const email = normalizeEmail(input?.email);
      const password = checkNewPassword(input?.password, { username, email });
      if (input.clientAddress !== undefined) await throttle.takeSignUp(input.clientAddress);
      // Hash before the transaction: the locks below are held for milliseconds, not for argon2's time.
      const passwordHash = await hashPassword(password);
      let serverId: number;
      try {
        serverId = await db.transaction(async (trx) => {
          // Lock the servers first so the user counts read next cannot change under us.
          const servers = await listDataServers(trx, true);
          if (await findUser(trx, username)) throw usernameTaken(username);
          if (await findUserByEmail(trx, email)) throw emailTaken();
          const server = await dataServers.pickForNewUser(servers);
          if (!server) throw new MyDropboxError('no_capacity', NO_CAPACITY);
          await insertUser(trx, { username, email, passwordHash, dataServerId: server.id, createdAt: now() });
          return server.id;
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // A concurrent sign-up won the race; tell which field collided.
        if (await findUser(db, username)) throw usernameTaken(username);
        throw emailTaken();
      }
      log.info({ username, serverId }, 'account created');
      return { username, dataServer: await dataServers.addressOf(serverId) };
    },

    async signIn(input) {
      let username: string;
      try {
        username = normalizeUsername(input?.username);
      } catch {
        // Still count the attempt: a malformed name is a wrong name, and says nothing about which names exist.
        username = typeof input?.username === 'string' ? input.username.slice(0, 200).toLowerCase() : '';
      }
      const subject = { account: username, clientAddress: input.clientAddress };
      await throttle.assertSignInAllowed(subject);
      const user = await findUser(db, username);
      if (!(await passwordMatches(user?.passwordHash, typeof input.password === 'string' ? input.password : ''))) {
        await throttle.recordSignInFailure(subject);
        log.info({ username, clientAddress: input.clientAddress }, 'sign-in failed');
        throw new MyDropboxError('bad_credentials', BAD_CREDENTIALS);
      }
      await throttle.recordSignInSuccess(subject);
      const { token, device } = await devices.create(user!.username, input.deviceName, input.deviceKind);
      return {
        username: user!.username,
        deviceId: device.id,
        deviceToken: token,
        dataServer: await dataServers.addressOf(user!.dataServerId),
      };
    },

    async changePassword(input) {
      const user = await findUser(db, input.username);
      if (!user) throw new MyDropboxError('not_found', `There is no account "${input.username}".`);
      await verifyPassword(user, input.currentPassword, input.clientAddress, 'The current password is not right.');
      if (input.newPassword === input.currentPassword)
        throw new MyDropboxError('invalid_request', 'The new password is the same as the current one; choose another.');
      const password = checkNewPassword(input.newPassword, { username: user.username, email: user.email });
      await setPasswordHash(db, user.username, await hashPassword(password));
      const signedOut = await devices.revokeOthers(user.username, input.currentDeviceId, { onlyWeb: input.keepDevices === true });
      log.info({ username: user.username, signedOut, keptDevices: input.keepDevices === true }, 'password changed');
      return { signedOut };
    },

    async deleteAccount(input) {
      const user = await findUser(db, input.username);
      if (!user) throw new MyDropboxError('not_found', `There is no account "${input.username}".`);
      await verifyPassword(user, input.password, input.clientAddress, 'The password is not right; your account was not deleted.');
      await this.removeAccount(user.username, input.currentDeviceId);
    },

    async removeAccount(username, keepDeviceId) {
      if (!(await findUser(db, username))) throw new MyDropboxError('not_found', `There is no account "${username}".`);
      // Devices first, so nothing uploads while the files go; then the files, then the rows that say the account exists.
      await devices.revokeOthers(username, keepDeviceId);
      try {
        await removeData(username);
      } catch (err) {
        log.warn({ err, username }, 'data server did not remove an account');
        throw new MyDropboxError(
          'server_unavailable',
          `Your files could not be deleted right now (${err instanceof Error ? err.message : String(err)}); your account is kept. Please try again in a few minutes.`,
        );
      }
      await deleteUserRows(db, username);
      log.info({ username }, 'account deleted');
    },

    async getUser(username) {
      const user = await findUser(db, username);
      if (!user) throw new MyDropboxError('not_found', `There is no account "${username}".`);
      return {
        username: user.username,
        email: user.email,
        dataServer: await dataServers.addressOf(user.dataServerId),
        quotaBytes: QUOTA_BYTES,
      };
    },
  };
}

function usernameTaken(username: string): MyDropboxError {
  return new MyDropboxError('username_taken', `The username "${username}" is already taken; please choose another.`);
}

function emailTaken(): MyDropboxError {
  return new MyDropboxError('email_taken', 'An account with this email address already exists; sign in instead, or use another address.');
}
