// The whole system in one test process: real data servers, router services and app, and the website on one address.
import fs from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { blockHashesOf, BLOCK_SIZE, errorFromResponse, type FileEntry } from '@mydropbox/shared';
import {
  AccessTokenSigner,
  generateSigningKeys,
  listen,
  migrateLatest,
  openDatabase,
  silentLogger,
  type Listening,
  type Logger,
} from '@mydropbox/server-common';
import {
  createDavHandler,
  createRouterServices,
  createApp as createRouterApp,
  DEFAULT_THROTTLE_POLICY,
  type RouterServices,
  type ThrottlePolicy,
} from '@mydropbox/router';
import { startDataServer } from '@mydropbox/data-server';
import { createApp as createWebApp, createDispatcher } from '@mydropbox/web';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases';

export interface StackOptions {
  /** How many data servers to start (ids 1..n); default 1. */
  dataServers?: number;
  databaseKind?: DatabaseKind;
  /** The VS Code package the client page offers. */
  vsixPath?: string;
  /** The daemon package (mydropbox-daemon.tgz) the client page offers. */
  daemonPath?: string;
  /**
   * Mounts WebDAV at /dav/ on the stack's address (the same place the web process's main mounts it);
   * default: the real one (createDavHandler), false: none.
   */
  dav?: ((deps: { services: RouterServices; log: Logger; db: Knex }) => http.RequestListener) | false;
  /** Polls the data servers' health (and re-sends revocations) this often; default: no poller, call checkNow(). */
  healthPollMs?: number;
  /** Default: TEST_THROTTLE_POLICY. */
  throttlePolicy?: ThrottlePolicy;
  /** Each data server's per-user quota (default: the real 5 GB). */
  quotaBytes?: number;
  /** The router's clock (default: Date.now); tests step it to reach expiries. */
  now?: () => number;
}

/** The real policy, except that a test suite signs up many accounts from the one loopback address. */
export const TEST_THROTTLE_POLICY: ThrottlePolicy = {
  ...DEFAULT_THROTTLE_POLICY,
  signUpAddress: { ...DEFAULT_THROTTLE_POLICY.signUpAddress, limit: 10_000 },
  signUpGlobal: { ...DEFAULT_THROTTLE_POLICY.signUpGlobal, limit: 10_000 },
};

export interface StackDataServer {
  id: number;
  url: string;
  /** Its storage root: the users' folders are under `<root>/<id>/`. */
  root: string;
  close(): Promise<void>;
  /** Stops it and starts it again on the same port, database and root (what it knew in memory is gone). */
  restart(): Promise<void>;
}

export interface StackUser {
  username: string;
  password: string;
  deviceToken: string;
  accessToken: string;
  dataServerUrl: string;
}

export interface Stack {
  /** The one public address: website, /api/…, /healthz, /dav/…. */
  url: string;
  apiUrl: string;
  services: RouterServices;
  dataServers: StackDataServer[];
  /** A fresh account (signed in as a daemon device) with a user-scope access token for its data server. */
  signUpAndSignIn(username?: string): Promise<StackUser>;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 'correct horse battery staple';

let userCounter = 0;

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Keep cleaning up: one failed close must not leave the rest running.
      }
    }
  };
  try {
    const log = silentLogger();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-stack-'));
    cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const keys = generateSigningKeys();

    const databases: TestDatabase[] = [];
    cleanups.push(async () => {
      for (const d of databases) await d.drop();
    });
    const central = await createTestDatabase(opts.databaseKind ?? 'mariadb');
    databases.push(central);
    const db: Knex = openDatabase(central.url);
    cleanups.push(() => db.destroy());
    await migrateLatest(db, 'central');

    const dataServers: StackDataServer[] = [];
    for (let id = 1; id <= (opts.dataServers ?? 1); id++) {
      const dataDb = await createTestDatabase(opts.databaseKind ?? 'mariadb');
      databases.push(dataDb);
      const start = (port: number) =>
        startDataServer({
          serverId: id,
          databaseUrl: dataDb.url,
          root: path.join(home, `data-${id}`),
          routerPublicKeyPem: keys.publicKeyPem,
          host: '127.0.0.1',
          port,
          quotaBytes: opts.quotaBytes,
          log,
        });
      let server = await start(0);
      let closed = false;
      const closeOnce = async () => {
        if (closed) return;
        closed = true;
        await server.close();
      };
      cleanups.push(closeOnce);
      dataServers.push({
        id,
        url: server.url,
        root: path.join(home, `data-${id}`),
        close: closeOnce,
        async restart() {
          await closeOnce();
          server = await start(server.port);
          closed = false;
        },
      });
    }

    const services = createRouterServices({
      db,
      signer: new AccessTokenSigner(keys.privateKeyPem),
      log,
      pollHealth: false,
      healthPollMs: opts.healthPollMs,
      throttlePolicy: opts.throttlePolicy ?? TEST_THROTTLE_POLICY,
      now: opts.now,
    });
    cleanups.push(() => services.close());
    for (const s of dataServers) {
      const u = new URL(s.url);
      await services.dataServers.register({ id: s.id, host: u.hostname, port: Number(u.port), capacityGb: 1000 });
    }
    await services.dataServers.checkNow();
    if (opts.healthPollMs !== undefined) services.dataServers.start();

    const routerApp = createRouterApp({ services, log });
    const webApp = createWebApp({
      services,
      log,
      cookieKeys: [randomBytes(32).toString('base64url')],
      vsixPath: opts.vsixPath,
      daemonPath: opts.daemonPath,
    });
    const davFactory = opts.dav === undefined ? createDavHandler : opts.dav || undefined;
    const dav = davFactory?.({ services, log, db });
    const site: Listening = await listen(createDispatcher({ web: webApp.callback(), router: routerApp.callback(), dav }));
    cleanups.push(() => site.close());

    return {
      url: site.url,
      apiUrl: `${site.url}/api/v1`,
      services,
      dataServers,
      close,
      async signUpAndSignIn(username = `user${process.pid}x${++userCounter}`) {
        await services.accounts.signUp({ username, email: `${username}@example.com`, password: TEST_PASSWORD });
        const session = await services.accounts.signIn({
          username,
          password: TEST_PASSWORD,
          clientAddress: '127.0.0.1',
          deviceName: 'Test daemon',
          deviceKind: 'daemon',
        });
        const access = await services.accessTokens.issue(session.deviceToken);
        return {
          username: session.username,
          password: TEST_PASSWORD,
          deviceToken: session.deviceToken,
          accessToken: access.accessToken,
          dataServerUrl: access.dataServer.url,
        };
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Uploads a file the way a client does: ask which blocks are missing, send those, commit. */
export async function uploadFile(
  user: Pick<StackUser, 'accessToken' | 'dataServerUrl'>,
  filePath: string,
  data: Uint8Array,
  baseRev: number | null = null,
): Promise<FileEntry> {
  const auth = { authorization: `Bearer ${user.accessToken}` };
  const blocks = blockHashesOf(data);
  const missingRes = await fetch(`${user.dataServerUrl}/v1/blocks/missing`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ hashes: blocks }),
  });
  if (!missingRes.ok) throw errorFromResponse(missingRes.status, await missingRes.json().catch(() => null));
  const { missing } = (await missingRes.json()) as { missing: string[] };
  for (const hash of missing) {
    const index = blocks.indexOf(hash);
    const res = await fetch(`${user.dataServerUrl}/v1/blocks/${hash}`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: data.subarray(index * BLOCK_SIZE, (index + 1) * BLOCK_SIZE),
    });
    if (!res.ok) throw errorFromResponse(res.status, await res.json().catch(() => null));
    await res.arrayBuffer();
  }
  const commit = await fetch(`${user.dataServerUrl}/v1/commit`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ path: filePath, size: data.length, blocks, baseRev, modifiedAt: Date.now() }),
  });
  const body: unknown = await commit.json().catch(() => null);
  if (!commit.ok) throw errorFromResponse(commit.status, body);
  return body as FileEntry;
}
