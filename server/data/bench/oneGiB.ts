// Measures 1 GiB upload (blocks + commit) and download over loopback against a data server, vs cp.
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import { BLOCK_SIZE } from '@mydropbox/shared';

const SIZE = 1024 * 1024 * 1024;
const dir = fs.mkdtempSync('/tmp/mdb-bench-');
const src = path.join(dir, 'src.bin');
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function req(
  url: string,
  method: string,
  token: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const r = http.request(
      url,
      {
        method,
        agent,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-length': String(body.length) } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

(async () => {
  // Random, incompressible, no duplicate blocks.
  const fd = fs.openSync(src, 'w');
  const chunk = Buffer.alloc(BLOCK_SIZE);
  for (let i = 0; i < SIZE / BLOCK_SIZE; i++) {
    randomFillSync(chunk);
    fs.writeSync(fd, chunk);
  }
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  execFileSync('sync');

  let t = Date.now();
  execFileSync('cp', [src, path.join(dir, 'cp.bin')]);
  execFileSync('sync', ['-f', path.join(dir, 'cp.bin')]);
  const cpMs = Date.now() - t;
  t = Date.now();
  execFileSync('cp', [src, path.join(dir, 'cp2.bin')]);
  const cpNoSyncMs = Date.now() - t;
  fs.rmSync(path.join(dir, 'cp.bin'));
  fs.rmSync(path.join(dir, 'cp2.bin'));

  const keys = generateSigningKeys();
  const signer = new AccessTokenSigner(keys.privateKeyPem);
  const kind = process.argv[2] ?? 'sqlite';
  const dbUrl = kind === 'sqlite' ? `sqlite:${dir}/data.sqlite` : process.argv[3];
  // The server runs as its own process (main.ts), as deployed, so client and server each get a core.
  fs.writeFileSync(path.join(dir, 'router.pub.pem'), keys.publicKeyPem);
  const proc = spawn(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', path.join(__dirname, '../src/main.ts')], {
    env: {
      ...process.env,
      DATA_SERVER_ID: '1',
      DATA_PORT: '0',
      DATA_ROOT: path.join(dir, 'root'),
      DATA_DATABASE_URL: dbUrl,
      ROUTER_PUBLIC_KEY_FILE: path.join(dir, 'router.pub.pem'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const server = {
    url: await new Promise<string>((resolve) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"url":"(http:[^"]+)"/.exec(out);
        if (m) resolve(m[1]);
      });
    }),
    close: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
  const token = signer.sign({ sub: 'bench', sid: 1, scope: 'user' }).token;

  // Upload: the client reads and hashes each block, 4 PUTs in flight, then one commit.
  t = Date.now();
  const hashes: string[] = [];
  const rfd = fs.openSync(src, 'r');
  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < SIZE / BLOCK_SIZE; i++) {
    const buf = Buffer.allocUnsafe(BLOCK_SIZE);
    fs.readSync(rfd, buf, 0, BLOCK_SIZE, i * BLOCK_SIZE);
    const h = createHash('sha256').update(buf).digest('hex');
    hashes.push(h);
    const p: Promise<void> = req(`${server.url}/v1/blocks/${h}`, 'PUT', token, buf).then((r) => {
      if (r.status !== 204) throw new Error(`put ${r.status}`);
      inflight.delete(p);
    });
    inflight.add(p);
    if (inflight.size >= 4) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  fs.closeSync(rfd);
  const blocksMs = Date.now() - t;
  const c = await req(
    `${server.url}/v1/commit`,
    'POST',
    token,
    Buffer.from(JSON.stringify({ path: 'big.bin', size: SIZE, blocks: hashes, baseRev: null })),
    {
      'content-type': 'application/json',
    },
  );
  if (c.status !== 200) throw new Error(`commit ${c.status} ${c.body}`);
  const uploadMs = Date.now() - t;
  const commitMs = uploadMs - blocksMs;

  // Baseline: a bare node:http server streaming the same bytes, to tell our overhead from the machine's.
  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(SIZE) });
    fs.createReadStream(src, { highWaterMark: 1024 * 1024 }).pipe(res);
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  t = Date.now();
  let bareGot = 0;
  await new Promise<void>((resolve) => {
    http.get(`http://127.0.0.1:${(bare.address() as { port: number }).port}/`, { agent }, (res) => {
      res.on('data', (d: Buffer) => (bareGot += d.length));
      res.on('end', () => resolve());
    });
  });
  const bareDownloadMs = Date.now() - t;
  bare.close();
  if (bareGot !== SIZE) throw new Error('bare download');
  // Baseline for upload: hashing 1 GiB once, the least any verified upload must do.
  t = Date.now();
  {
    const h = createHash('sha256');
    const b = Buffer.allocUnsafe(BLOCK_SIZE);
    const f = fs.openSync(src, 'r');
    for (let i = 0; i < SIZE / BLOCK_SIZE; i++) {
      fs.readSync(f, b, 0, BLOCK_SIZE, i * BLOCK_SIZE);
      h.update(b);
    }
    fs.closeSync(f);
  }
  const hashOnceMs = Date.now() - t;

  // Download: stream to /dev/null-like sink while hashing nothing (raw throughput), then to a file.
  t = Date.now();
  let got = 0;
  await new Promise<void>((resolve, reject) => {
    http.get(`${server.url}/v1/files/content?path=big.bin`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.on('data', (d: Buffer) => (got += d.length));
      res.on('end', () => resolve());
      res.on('error', reject);
    });
  });
  const downloadMs = Date.now() - t;
  if (got !== SIZE) throw new Error(`downloaded ${got}`);
  t = Date.now();
  await new Promise<void>((resolve, reject) => {
    http.get(`${server.url}/v1/files/content?path=big.bin`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const out = fs.createWriteStream(path.join(dir, 'down.bin'));
      res.pipe(out);
      out.on('finish', () => resolve());
      res.on('error', reject);
    });
  });
  const downloadToFileMs = Date.now() - t;

  const mibs = (ms: number) => (SIZE / 1024 / 1024 / (ms / 1000)).toFixed(0);
  console.log(
    JSON.stringify({
      bareDownloadMs,
      bareDownloadMiBps: mibs(bareDownloadMs),
      hashOnceMs,
      hashOnceMiBps: mibs(hashOnceMs),
      db: kind,
      cpWithSyncMs: cpMs,
      cpMiBps: mibs(cpMs),
      cpNoSyncMs,
      cpNoSyncMiBps: mibs(cpNoSyncMs),
      blocksMs,
      commitMs,
      uploadMs,
      uploadMiBps: mibs(uploadMs),
      downloadMs,
      downloadMiBps: mibs(downloadMs),
      downloadToFileMs,
      downloadToFileMiBps: mibs(downloadToFileMs),
    }),
  );
  await server.close();
  agent.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
})();
