// A real data server for the HTTP tests: temp root, fresh database, router keys, and a small typed client.
import { createHash } from 'node:crypto';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import { BLOCK_SIZE, blockHashesOf, CommitRequest, FileEntry } from '@mydropbox/shared';
import { startDataServer, RunningDataServer } from '../src';
import { createTestDatabase, DatabaseKind, tempDir, TestDatabase } from '../../../test/support/databases';

export const SERVER_ID = 7;

export interface Harness {
  server: RunningDataServer;
  url: string;
  root: string;
  /** The data server's database (a test may open it while the server is stopped, in `restart`'s `between`). */
  databaseUrl: string;
  keys: { privateKeyPem: string; publicKeyPem: string };
  signer: AccessTokenSigner;
  token(user: string, extra?: { sid?: number; scope?: 'user' | 'router'; ttl?: number; dn?: string }): string;
  /** A client acting as `user` with a fresh token. */
  as(user: string): DataClient;
  /** Stops the server, runs `between` (to leave the disk as a crash would), and starts it again on the same root and database. */
  restart(between?: () => Promise<void> | void): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  kind?: DatabaseKind;
  quotaBytes?: number;
  versionRetentionDays?: number;
  /** The data server's clock for version history (a test moves it forward to expire versions). */
  now?: () => number;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const keys = generateSigningKeys();
  const signer = new AccessTokenSigner(keys.privateKeyPem);
  const tmp = tempDir('mdb-data-');
  const db: TestDatabase = await createTestDatabase(opts.kind ?? 'sqlite');
  const start = () =>
    startDataServer({
      serverId: SERVER_ID,
      root: tmp.dir,
      databaseUrl: db.url,
      routerPublicKeyPem: keys.publicKeyPem,
      quotaBytes: opts.quotaBytes,
      versionRetentionDays: opts.versionRetentionDays,
      purgeIntervalMs: 0,
      now: opts.now,
    });
  const token = (user: string, extra: { sid?: number; scope?: 'user' | 'router'; ttl?: number; dn?: string } = {}) =>
    signer.sign(
      { sub: user, sid: extra.sid ?? SERVER_ID, scope: extra.scope ?? 'user', ...(extra.dn === undefined ? {} : { dn: extra.dn }) },
      extra.ttl,
    ).token;
  const harness: Harness = {
    server: await start(),
    url: '',
    root: tmp.dir,
    databaseUrl: db.url,
    keys,
    signer,
    token,
    as: (user) => new DataClient(harness.url, token(user)),
    async restart(between) {
      await harness.server.close();
      await between?.();
      harness.server = await start();
      harness.url = harness.server.url;
    },
    async stop() {
      await harness.server.close();
      await db.drop();
      tmp.remove();
    },
  };
  harness.url = harness.server.url;
  return harness;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The POST /v1/blocks/batch body: [32-byte hash][u32 length][bytes] per block. */
export function batchBody(blocks: Buffer[], hashes = blocks.map(sha256)): Buffer {
  return Buffer.concat(
    blocks.flatMap((b, i) => {
      const head = Buffer.alloc(36);
      Buffer.from(hashes[i]!, 'hex').copy(head, 0);
      head.writeUInt32BE(b.length, 32);
      return [head, b];
    }),
  );
}

/** Deterministic pseudo-random bytes, so failures replay. */
export function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil(length / 4) * 4);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out.subarray(0, length);
}

export class DataClient {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  request(
    method: string,
    path: string,
    init: { body?: RequestInit['body']; headers?: Record<string, string>; json?: unknown } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, ...init.headers };
    let body = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    return fetch(this.url + path, { method, headers, body, duplex: 'half' } as RequestInit);
  }

  async json<T>(method: string, path: string, json?: unknown): Promise<{ status: number; body: T }> {
    const res = await this.request(method, path, { json });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  putBlock(hash: string, data: Uint8Array): Promise<Response> {
    return this.request('PUT', `/v1/blocks/${hash}`, { body: data, headers: { 'content-type': 'application/octet-stream' } });
  }

  /** The whole upload protocol: ask what is missing, send it, commit. */
  async upload(
    path: string,
    data: Buffer,
    baseRev: number | null = null,
  ): Promise<{ status: number; body: FileEntry & { error?: { code: string } } }> {
    const blocks = blockHashesOf(data);
    const missing = await this.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: blocks });
    if (missing.status !== 200) throw new Error(`missing: ${missing.status} ${JSON.stringify(missing.body)}`);
    for (const hash of missing.body.missing) {
      const i = blocks.indexOf(hash);
      const res = await this.putBlock(hash, data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
      if (res.status !== 204) throw new Error(`put block: ${res.status} ${await res.text()}`);
    }
    const commit: CommitRequest = { path, size: data.length, blocks, baseRev, modifiedAt: 1_700_000_000_000 };
    return this.json('POST', '/v1/commit', commit);
  }

  async download(path: string, headers: Record<string, string> = {}): Promise<{ status: number; data: Buffer; res: Response }> {
    const res = await this.request('GET', `/v1/files/content?path=${encodeURIComponent(path)}`, { headers });
    return { status: res.status, data: Buffer.from(await res.arrayBuffer()), res };
  }
}
