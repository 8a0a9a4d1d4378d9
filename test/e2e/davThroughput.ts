// Measures a 1 GiB PUT and GET over WebDAV against the data-server API's, on one in-process stack (run by hand; prints figures).
// node --conditions=source --require tsx/cjs test/e2e/davThroughput.ts [MiB]
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { BLOCK_SIZE, errorFromResponse } from '@mydropbox/shared';
import { startStack } from '../support/stack';
import { davUser } from './davSupport';

const MIB = 1024 * 1024;

function writeRandomFile(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'w');
  const chunk = randomBytes(16 * MIB);
  for (let off = 0; off < bytes; off += chunk.length) {
    // Vary each chunk so no two blocks dedup.
    chunk.writeUInt32LE(off / chunk.length, 0);
    fs.writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - off));
  }
  fs.closeSync(fd);
}

function davPut(url: string, auth: string, file: string): Promise<number> {
  const size = fs.statSync(file).size;
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers: { authorization: auth, 'content-length': size } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    fs.createReadStream(file, { highWaterMark: MIB }).pipe(req);
  });
}

function streamGet(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * The client protocol over the data-server API, as the sync engine does it: hash each block while
 * reading, send it while the next one is read (one in flight, like WebDAV's PUT), then commit.
 */
async function apiPut(dataUrl: string, token: string, file: string, target: string): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const blocks: string[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  try {
    for (let off = 0; off < size; off += BLOCK_SIZE) {
      const buf = Buffer.allocUnsafe(Math.min(BLOCK_SIZE, size - off));
      fs.readSync(fd, buf, 0, buf.length, off);
      const hash = createHash('sha256').update(buf).digest('hex');
      blocks.push(hash);
      await inFlight;
      inFlight = (async () => {
        const res = await fetch(`${dataUrl}/v1/blocks/${hash}`, { method: 'PUT', headers: auth, body: buf });
        if (!res.ok) throw errorFromResponse(res.status, await res.json().catch(() => null));
        await res.arrayBuffer();
      })();
    }
    await inFlight;
  } finally {
    fs.closeSync(fd);
  }
  const commit = await fetch(`${dataUrl}/v1/commit`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ path: target, size, blocks, baseRev: null }),
  });
  if (!commit.ok) throw errorFromResponse(commit.status, await commit.json().catch(() => null));
}

async function main(): Promise<void> {
  const mib = Number(process.argv[2] ?? 1024);
  const bytes = mib * MIB;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-dav-bench-'));
  const stack = await startStack({ databaseKind: 'sqlite' });
  try {
    const user = await davUser(stack);
    const a = path.join(dir, 'a.bin');
    const b = path.join(dir, 'b.bin');
    writeRandomFile(a, bytes);
    writeRandomFile(b, bytes);
    // Flush the test files first, so their write-back does not land on whichever upload runs first.
    execFileSync('sync');
    const rate = (ms: number) => `${((bytes / MIB / ms) * 1000).toFixed(0)} MiB/s (${(ms / 1000).toFixed(2)} s)`;
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

    // Order matters on a busy machine: MDB_DAV_FIRST=1 runs the WebDAV PUT first.
    const davFirst = process.env.MDB_DAV_FIRST === '1';
    let t = 0;
    let apiPutMs = 0;
    const runApiPut = async () => {
      t = Date.now();
      await apiPut(user.dataServerUrl, user.accessToken, a, 'api.bin');
      apiPutMs = Date.now() - t;
    };
    if (!davFirst) await runApiPut();

    const rssBefore = process.memoryUsage().rss;
    peakRss = rssBefore;
    t = Date.now();
    const status = await davPut(`${stack.url}/dav/dav.bin`, user.authorization, b);
    const davPutMs = Date.now() - t;
    if (status !== 201) throw new Error(`WebDAV PUT answered ${status}`);
    const davPutPeak = peakRss - rssBefore;
    if (davFirst) await runApiPut();

    // Each download twice, alternating, best of two: the machine is shared and page-cache state differs.
    let apiGetMs = Infinity;
    let davGetMs = Infinity;
    for (let round = 0; round < 2; round++) {
      t = Date.now();
      const apiGet = await streamGet(`${user.dataServerUrl}/v1/files/content?path=api.bin`, {
        authorization: `Bearer ${user.accessToken}`,
      });
      apiGetMs = Math.min(apiGetMs, Date.now() - t);
      t = Date.now();
      const davGet = await streamGet(`${stack.url}/dav/dav.bin`, { authorization: user.authorization });
      davGetMs = Math.min(davGetMs, Date.now() - t);
      if (apiGet.bytes !== bytes || davGet.bytes !== bytes) throw new Error('a download came back short');
    }
    clearInterval(sampler);

    console.log(`${mib} MiB, one stream each, same machine:`);
    console.log(
      `  PUT  data-server API ${rate(apiPutMs)}   WebDAV ${rate(davPutMs)}   (process RSS growth during the WebDAV PUT: ${(davPutPeak / MIB).toFixed(0)} MiB)`,
    );
    console.log(`  GET  data-server API ${rate(apiGetMs)}   WebDAV ${rate(davGetMs)}`);
  } finally {
    await stack.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
