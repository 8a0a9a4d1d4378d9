// Tells data servers which devices were signed out, at once and with every health poll, so their access tokens stop working.
import type { Knex } from 'knex';
import type { RevocationsRequest } from '@mydropbox/shared';
import { ACCESS_TOKEN_SECONDS, type AccessTokenSigner, type Logger } from '@mydropbox/server-common';
import { listRevokedDeviceIds } from '../stores/deviceStore';
import { listDataServers, type DataServerRecord } from '../stores/dataServerStore';
import { dataServerUrl } from './dataServers';

// Long enough that every access token signed before a revocation has expired (plus clock skew).
export const REVOCATION_MEMORY_MS = (ACCESS_TOKEN_SECONDS + 60) * 1000;
const CALL_TIMEOUT_MS = 2000;

export interface RevocationNotifier {
  /** Sends these device ids to every data server now; a server that does not answer learns them at the next health poll. */
  announce(deviceIds: readonly number[]): Promise<void>;
  /** Sends every recent revocation to one server (each health poll does, so a restarted server catches up). */
  sendRecent(server: DataServerRecord): Promise<void>;
}

export function createRevocationNotifier(deps: {
  db: Knex;
  signer: AccessTokenSigner;
  fetchImpl: typeof fetch;
  now: () => number;
  log: Logger;
}): RevocationNotifier {
  const { db, signer, fetchImpl, now, log } = deps;

  async function send(server: DataServerRecord, deviceIds: readonly number[]): Promise<void> {
    // A router-scope token naming no account: it can only sign devices out.
    const { token } = signer.sign({ sub: '', sid: server.id, scope: 'router' }, 60, now());
    const body: RevocationsRequest = { deviceIds: [...deviceIds] };
    try {
      const res = await fetchImpl(`${dataServerUrl(server.host, server.port)}/revocations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) log.warn({ serverId: server.id, status: res.status }, 'data server refused the list of signed-out devices');
    } catch (err) {
      log.warn({ err, serverId: server.id }, 'could not tell a data server about signed-out devices; the next health poll will');
    }
  }

  return {
    async announce(deviceIds) {
      if (deviceIds.length === 0) return;
      const servers = await listDataServers(db);
      await Promise.all(servers.map((s) => send(s, deviceIds)));
    },
    async sendRecent(server) {
      const ids = await listRevokedDeviceIds(db, now() - REVOCATION_MEMORY_MS);
      if (ids.length > 0) await send(server, ids);
    },
  };
}
