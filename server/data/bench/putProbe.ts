// Measures block PUTs alone against the data server and against a bare server that only hashes the body.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomFillSync } from 'node:crypto';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import { BLOCK_SIZE } from '@mydropbox/shared';
import { startDataServer } from '../src';

const agent = new http.Agent({ keepAlive: true });
function put(url: string, body: Buffer, token = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = http.request(
      url,
      { method: 'PUT', agent, headers: { authorization: `Bearer ${token}`, 'content-length': String(body.length) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

(async () => {
  const N = Number(process.argv[2] ?? 64);
  const blocks = Array.from({ length: N }, () => randomFillSync(Buffer.allocUnsafe(BLOCK_SIZE)));
  const hashes = blocks.map((b) => createHash('sha256').update(b).digest('hex'));
  const bare = http.createServer((req, res) => {
    const h = createHash('sha256');
    req.on('data', (c: Buffer) => h.update(c));
    req.on('end', () => {
      h.digest();
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  let t = Date.now();
  for (const b of blocks) await put(`http://127.0.0.1:${(bare.address() as { port: number }).port}/`, b);
  const bareMs = Date.now() - t;
  bare.close();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-put-'));
  const keys = generateSigningKeys();
  const server = await startDataServer({
    serverId: 1,
    root: dir,
    databaseUrl: `sqlite:${dir}/d.sqlite`,
    routerPublicKeyPem: keys.publicKeyPem,
  });
  const token = new AccessTokenSigner(keys.privateKeyPem).sign({ sub: 'u', sid: 1, scope: 'user' }).token;
  t = Date.now();
  for (let i = 0; i < N; i++) {
    const s = await put(`${server.url}/v1/blocks/${hashes[i]}`, blocks[i], token);
    if (s !== 204) throw new Error(String(s));
  }
  const oursMs = Date.now() - t;
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const mib = (ms: number) => ((N * 4) / (ms / 1000)).toFixed(0);
  console.log(JSON.stringify({ blocks: N, bareMs, bareMiBps: mib(bareMs), oursMs, oursMiBps: mib(oursMs) }));
  agent.destroy();
})();
