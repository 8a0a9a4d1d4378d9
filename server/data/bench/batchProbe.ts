// Times the two requests of a first sync of 1,000 × 10 KiB (block batch, commit batch) against an in-process data server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomFillSync } from 'node:crypto';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import { startDataServer } from '../src';

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-batch-'));
  const keys = generateSigningKeys();
  const server = await startDataServer({
    serverId: 1,
    root: dir,
    databaseUrl: `sqlite:${dir}/d.sqlite`,
    routerPublicKeyPem: keys.publicKeyPem,
  });
  const signer = new AccessTokenSigner(keys.privateKeyPem);
  for (let run = 0; run < 5; run++) {
    const token = signer.sign({ sub: `u${run}`, sid: 1, scope: 'user' }).token;
    const files = Array.from({ length: 1000 }, (_, i) => {
      const data = randomFillSync(Buffer.allocUnsafe(10240));
      return { path: `d${i % 10}/f${i}.bin`, data, hash: createHash('sha256').update(data).digest('hex') };
    });
    const body = Buffer.concat(
      files.flatMap((f) => {
        const head = Buffer.alloc(36);
        Buffer.from(f.hash, 'hex').copy(head);
        head.writeUInt32BE(f.data.length, 32);
        return [head, f.data];
      }),
    );
    const headers = { authorization: `Bearer ${token}` };
    let t = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t) / 1e6;
    let res = await fetch(`${server.url}/v1/blocks/batch`, {
      method: 'POST',
      body,
      headers: { ...headers, 'content-type': 'application/octet-stream' },
    });
    const blocksMs = ms();
    t = process.hrtime.bigint();
    res = await fetch(`${server.url}/v1/commit/batch`, {
      method: 'POST',
      body: JSON.stringify({ commits: files.map((f) => ({ path: f.path, size: f.data.length, blocks: [f.hash], baseRev: null })) }),
      headers: { ...headers, 'content-type': 'application/json' },
    });
    await res.text();
    console.log(JSON.stringify({ blocksMs: Math.round(blocksMs), commitMs: Math.round(ms()), status: res.status }));
  }
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
})();
