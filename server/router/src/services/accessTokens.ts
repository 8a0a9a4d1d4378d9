// Short-lived access tokens for data servers: user-scope for clients, router-scope for the router's own calls.
import type { Knex } from 'knex';
import { MyDropboxError, AccessTokenResponse, DataServerAddress } from '@mydropbox/shared';
import type { AccessTokenSigner } from '@mydropbox/server-common';
import { findUser } from '../stores/userStore';
import type { DataServerRegistry } from './dataServers';
import type { AuthenticatedDevice, DeviceService } from './devices';

export interface AccessTokenService {
  /** Checks the device token and signs a user-scope token for the user's data server. */
  issue(deviceToken: string): Promise<AccessTokenResponse>;
  issueForDevice(device: AuthenticatedDevice): Promise<AccessTokenResponse>;
  /** A router-scope token for calls the router makes on a user's behalf (web listing, downloads, WebDAV). */
  routerToken(username: string): Promise<{ token: string; expiresAt: number; dataServer: DataServerAddress }>;
}

export function createAccessTokenService(deps: {
  db: Knex;
  signer: AccessTokenSigner;
  devices: DeviceService;
  dataServers: DataServerRegistry;
  now: () => number;
}): AccessTokenService {
  const { db, signer, devices, dataServers, now } = deps;

  async function homeOf(username: string): Promise<DataServerAddress> {
    const user = await findUser(db, username);
    if (!user) throw new MyDropboxError('unauthorized', 'This account no longer exists; please sign up again.');
    return dataServers.addressOf(user.dataServerId);
  }

  async function issueForDevice(device: AuthenticatedDevice): Promise<AccessTokenResponse> {
    const dataServer = await homeOf(device.username);
    const { token, expiresAt } = signer.sign(
      { sub: device.username, sid: dataServer.id, did: device.deviceId, scope: 'user', ...(device.name ? { dn: device.name } : {}) },
      undefined,
      now(),
    );
    return { accessToken: token, expiresAt, dataServer };
  }

  return {
    async issue(deviceToken) {
      return issueForDevice(await devices.authenticate(deviceToken));
    },
    issueForDevice,
    async routerToken(username) {
      const dataServer = await homeOf(username);
      const { token, expiresAt } = signer.sign({ sub: username, sid: dataServer.id, scope: 'router' }, undefined, now());
      return { token, expiresAt, dataServer };
    },
  };
}
