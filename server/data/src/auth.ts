// Lets a request in only with the router's access token for this data server; the token's `sub` is the owner.
import type { Middleware } from 'koa';
import { DEVICE_HEADER, MyDropboxError } from '@mydropbox/shared';
import { AccessTokenVerifier, bearerToken } from '@mydropbox/server-common';
import type { RevokedDevices } from './revocations';
import { withDevice } from './requestDevice';

export interface DataState {
  owner: string;
  /** The signed-in device (`did`), when the token names one. */
  deviceId?: number;
  /** Router-scope tokens only: the router's own calls on a user's behalf (DELETE /v1/account needs one). */
  router?: boolean;
}

/** Usernames name folders on disk; one safe segment, never hidden (`.tmp`, `.staging` are ours). */
const SAFE_OWNER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

/** The answer to a device the router signed out. */
export function signedOut(): MyDropboxError {
  return new MyDropboxError('unauthorized', 'This device was signed out of MyDropbox; sign in again to sync.');
}

export function authenticate(verifier: AccessTokenVerifier, serverId: number, revoked?: RevokedDevices): Middleware<DataState> {
  return async (ctx, next) => {
    const claims = verifier.verify(bearerToken(ctx), serverId);
    if (claims.did !== undefined && revoked?.has(claims.did)) {
      throw signedOut();
    }
    if (claims.scope !== 'user' && claims.scope !== 'router') {
      throw new MyDropboxError('forbidden', 'This access token does not grant file access.');
    }
    if (!SAFE_OWNER.test(claims.sub)) throw new MyDropboxError('forbidden', 'This access token names an account this server cannot hold.');
    ctx.state.owner = claims.sub;
    if (claims.did !== undefined) ctx.state.deviceId = claims.did;
    ctx.state.router = claims.scope === 'router';
    // The door header is believed only from the router; a device's own token names the device.
    const device = claims.scope === 'router' ? ctx.get(DEVICE_HEADER) || null : (claims.dn ?? null);
    await withDevice(device, next);
  };
}
