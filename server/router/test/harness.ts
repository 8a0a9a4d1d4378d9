// Test harness: a real router (services + Koa app on port 0) over a fresh MariaDB or SQLite database, and tiny health endpoints.
import http from 'node:http';
import type { Knex } from 'knex';
import {
  AccessTokenSigner,
  AccessTokenVerifier,
  generateSigningKeys,
  KeyPairPem,
  listen,
  Listening,
  migrateLatest,
  openDatabase,
  silentLogger,
} from '@mydropbox/server-common';
import { createApp, createRouterServices, RouterServices, ThrottlePolicy } from '@mydropbox/router';
import { createTestDatabase, DatabaseKind, TestDatabase } from '../../../test/support/databases';
import { TEST_THROTTLE_POLICY } from '../../../test/support/stack';

export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

export function testClock(): TestClock {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
}

export interface RouterHarness {
  database: TestDatabase;
  db: Knex;
  services: RouterServices;
  url: string;
  keys: KeyPairPem;
  verifier: AccessTokenVerifier;
  clock: TestClock;
  /** Another services instance on the same database (a second process, or the same one after a restart). */
  secondServices(): RouterServices;
  close(): Promise<void>;
}

export async function startRouter(
  opts: { kind?: DatabaseKind; database?: TestDatabase; trustProxy?: boolean; throttlePolicy?: ThrottlePolicy; http?: boolean } = {},
): Promise<RouterHarness> {
  const database = opts.database ?? (await createTestDatabase(opts.kind ?? 'mariadb'));
  const db = openDatabase(database.url);
  await migrateLatest(db, 'central');
  const keys = generateSigningKeys();
  const clock = testClock();
  const log = silentLogger();
  const make = () =>
    createRouterServices({
      db,
      log,
      signer: new AccessTokenSigner(keys.privateKeyPem),
      now: clock.now,
      pollHealth: false,
      throttlePolicy: opts.throttlePolicy ?? TEST_THROTTLE_POLICY,
    });
  const services = make();
  const extra: RouterServices[] = [];
  let listening: Listening | undefined;
  if (opts.http !== false) listening = await listen(createApp({ services, log, trustProxy: opts.trustProxy }).callback());
  return {
    database,
    db,
    services,
    url: listening?.url ?? '',
    keys,
    verifier: new AccessTokenVerifier(keys.publicKeyPem),
    clock,
    secondServices() {
      const s = make();
      extra.push(s);
      return s;
    },
    async close() {
      await listening?.close();
      services.close();
      for (const s of extra) s.close();
      await db.destroy();
      if (!opts.database) await database.drop();
    },
  };
}

export interface HealthEndpoint {
  port: number;
  /** The status /healthz answers; 0 closes the connection without an answer. */
  status: number;
  /** The JSON /healthz answers with (a data server's DataHealth); default {}. */
  body?: unknown;
  close(): Promise<void>;
}

/** A stand-in for a data server's /healthz only (the real data server is used wherever files are involved). */
export async function startHealthEndpoint(status = 200): Promise<HealthEndpoint> {
  const endpoint = { status } as HealthEndpoint;
  const l = await listen((req: http.IncomingMessage, res: http.ServerResponse) => {
    if (endpoint.status === 0) return void req.socket.destroy();
    res.statusCode = req.url === '/healthz' ? endpoint.status : 404;
    res.end(JSON.stringify(endpoint.body ?? {}));
  });
  endpoint.port = l.port;
  endpoint.close = () => l.close();
  return endpoint;
}

// Tests read arbitrary JSON shapes from responses and assert on them field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** JSON request helper: returns status, parsed body and headers. */
export async function call(
  url: string,
  method: string,
  opts: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
