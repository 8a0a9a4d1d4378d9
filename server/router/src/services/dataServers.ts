// The registry of data servers (DataServers rows) and the health poller that decides which can take new users.
import type { Knex } from 'knex';
import { MyDropboxError, DataServerAddress, QUOTA_GB, type DataHealth } from '@mydropbox/shared';
import type { Logger } from '@mydropbox/server-common';
import { DataServerRecord, findDataServer, listDataServers, setDataServerAvailable, upsertDataServer } from '../stores/dataServerStore';

export interface DataServerInfo extends DataServerRecord {
  url: string;
  /** Whether /healthz answered on the last poll; null before the first poll. */
  healthy: boolean | null;
  lastCheckedAt: number | null;
  /** Its last /healthz said its disk is nearly full (it takes no new users). */
  diskFull: boolean;
  /** Whether a new user may be placed here now: available, healthy and room for one more quota. */
  acceptsNewUsers: boolean;
}

export interface RegisterDataServer {
  id: number;
  host: string;
  port: number;
  capacityGb: number;
  /** Omitted: a new server is available, an existing one keeps its flag. */
  available?: boolean;
}

export interface DataServerRegistry {
  register(input: RegisterDataServer): Promise<DataServerInfo>;
  list(): Promise<DataServerInfo[]>;
  setAvailable(id: number, available: boolean): Promise<void>;
  urlOf(id: number): Promise<string>;
  addressOf(id: number): Promise<DataServerAddress>;
  /** Polls every server's /healthz once, now. */
  checkNow(): Promise<void>;
  /** The last poll's verdict for one server (null: never polled). */
  isHealthy(id: number): boolean | null;
  /** The first server (by id) that can take a new user, among `servers` (rows read in the caller's transaction). */
  pickForNewUser(servers: DataServerRecord[]): Promise<DataServerRecord | undefined>;
  start(): void;
  stop(): void;
}

export function dataServerUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function hasRoomForNewUser(s: DataServerRecord): boolean {
  return s.capacityGb - QUOTA_GB * s.users >= QUOTA_GB;
}

export function createDataServerRegistry(deps: {
  db: Knex;
  log: Logger;
  fetchImpl: typeof fetch;
  now: () => number;
  healthPollMs: number;
  healthTimeoutMs?: number;
  /** Runs after each poll that found a server up (the router re-sends signed-out devices there). */
  afterHealthy?: (server: DataServerRecord) => Promise<void>;
}): DataServerRegistry {
  const { db, log, fetchImpl, now } = deps;
  // diskFull: the server's /healthz said diskNearlyFull.
  const health = new Map<number, { healthy: boolean; checkedAt: number; diskFull: boolean }>();
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;

  async function probe(s: DataServerRecord): Promise<void> {
    const url = `${dataServerUrl(s.host, s.port)}/healthz`;
    let healthy = false;
    let diskFull = false;
    try {
      const res = await fetchImpl(url, { signal: AbortSignal.timeout(deps.healthTimeoutMs ?? 2000) });
      healthy = res.ok;
      const body = (await res.json().catch(() => undefined)) as Partial<DataHealth> | undefined;
      diskFull = body?.diskNearlyFull === true;
    } catch {
      healthy = false;
    }
    const before = health.get(s.id);
    if (before?.healthy !== healthy)
      log[healthy ? 'info' : 'warn']({ serverId: s.id, url }, healthy ? 'data server is up' : 'data server is down');
    if (healthy && diskFull && !before?.diskFull)
      log.warn({ serverId: s.id, url }, 'data server disk is nearly full: no new users go there');
    health.set(s.id, { healthy, checkedAt: now(), diskFull });
  }

  async function checkNow(): Promise<void> {
    const servers = await listDataServers(db);
    // Not in probe(): a sign-up probes inside its transaction, and SQLite has one connection to give.
    await Promise.all(
      servers.map(async (s) => {
        await probe(s);
        if (health.get(s.id)?.healthy) await deps.afterHealthy?.(s);
      }),
    );
  }

  function info(s: DataServerRecord): DataServerInfo {
    const h = health.get(s.id);
    return {
      ...s,
      url: dataServerUrl(s.host, s.port),
      healthy: h ? h.healthy : null,
      lastCheckedAt: h ? h.checkedAt : null,
      diskFull: h?.diskFull ?? false,
      acceptsNewUsers: s.available && h?.healthy === true && !h.diskFull && hasRoomForNewUser(s),
    };
  }

  async function get(id: number): Promise<DataServerRecord> {
    const s = await findDataServer(db, id);
    if (!s) throw new MyDropboxError('server_unavailable', `Data server ${id} is not registered; ask the administrator to add it.`);
    return s;
  }

  return {
    async register(input) {
      if (!Number.isInteger(input.id) || input.id < 1)
        throw new MyDropboxError('invalid_request', 'A data server id must be a positive integer.');
      if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) {
        throw new MyDropboxError('invalid_request', 'A data server port must be between 1 and 65535.');
      }
      if (!input.host || input.host.length > 255)
        throw new MyDropboxError('invalid_request', 'A data server needs a host name or address.');
      if (!Number.isInteger(input.capacityGb) || input.capacityGb < 0) {
        throw new MyDropboxError('invalid_request', 'A data server capacity must be a whole number of GB.');
      }
      await upsertDataServer(db, input);
      return info(await get(input.id));
    },
    async list() {
      return (await listDataServers(db)).map(info);
    },
    async setAvailable(id, available) {
      if (!(await setDataServerAvailable(db, id, available))) throw new MyDropboxError('not_found', `There is no data server ${id}.`);
    },
    async urlOf(id) {
      const s = await get(id);
      return dataServerUrl(s.host, s.port);
    },
    async addressOf(id) {
      const s = await get(id);
      return { id: s.id, url: dataServerUrl(s.host, s.port) };
    },
    checkNow,
    isHealthy: (id) => health.get(id)?.healthy ?? null,
    async pickForNewUser(servers) {
      for (const s of servers) {
        if (!s.available || !hasRoomForNewUser(s)) continue;
        // A server never polled yet (just registered) gets one probe now rather than being skipped.
        if (!health.has(s.id)) await probe(s);
        if (health.get(s.id)?.healthy && !health.get(s.id)?.diskFull) return s;
      }
      return undefined;
    },
    start() {
      if (timer) return;
      const tick = () => {
        polling ??= checkNow()
          .catch((err: unknown) => log.error({ err }, 'data server health poll failed'))
          .finally(() => (polling = undefined));
      };
      tick();
      timer = setInterval(tick, deps.healthPollMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
