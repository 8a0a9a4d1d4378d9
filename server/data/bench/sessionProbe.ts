// Upload-session throughput of a data server in its own process (main.ts): 1 GiB of pre-hashed 4 MiB blocks, INFLIGHT (default 3) at once, then the commit.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import { BLOCK_SIZE } from '@mydropbox/shared';

const REPO = path.resolve(__dirname, '../../..');
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function request(
  url: string,
  method: string,
  token: string,
  body?: Buffer,
  type = 'application/octet-stream',
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent, headers: { authorization: `Bearer ${token}`, 'content-type': type, 'content-length': body?.length ?? 0 } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

(async () => {
  const blocksN = Number(process.argv[2] ?? 256);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-session-'));
  const keys = generateSigningKeys();
  fs.writeFileSync(path.join(dir, 'key.pem'), keys.publicKeyPem);
  const child = spawn(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', 'server/data/src/main.ts'], {
    cwd: REPO,
    env: {
      ...process.env,
      DATA_SERVER_ID: '1',
      DATA_PORT: '0',
      DATA_ROOT: dir,
      ROUTER_PUBLIC_KEY_FILE: path.join(dir, 'key.pem'),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
  const blocks = Array.from({ length: blocksN }, () => randomFillSync(Buffer.allocUnsafe(BLOCK_SIZE)));
  const hashes = blocks.map((b) => createHash('sha256').update(b).digest('hex'));
  const signer = new AccessTokenSigner(keys.privateKeyPem);
  for (let run = 0; run < 3; run++) {
    const token = signer.sign({ sub: `u${run}`, sid: 1, scope: 'user' }).token;
    const t = process.hrtime.bigint();
    const size = blocksN * BLOCK_SIZE;
    const opened = await request(
      `${url}/v1/uploads`,
      'POST',
      token,
      Buffer.from(JSON.stringify({ size, blocks: hashes })),
      'application/json',
    );
    const { uploadId } = JSON.parse(opened.text) as { uploadId: string };
    let next = 0;
    await Promise.all(
      Array.from({ length: Number(process.env.INFLIGHT ?? 3) }, async () => {
        for (let i = next++; i < blocksN; i = next++) {
          const res = await request(`${url}/v1/uploads/${uploadId}/blocks/${i}`, 'PUT', token, blocks[i]);
          if (res.status !== 204) throw new Error(`block ${i}: ${res.status} ${res.text}`);
        }
      }),
    );
    const sent = Number(process.hrtime.bigint() - t) / 1e9;
    const commit = await request(
      `${url}/v1/commit`,
      'POST',
      token,
      Buffer.from(JSON.stringify({ path: 'big.bin', size, blocks: hashes, baseRev: null, uploadId })),
      'application/json',
    );
    if (commit.status !== 200) throw new Error(`commit: ${commit.status} ${commit.text}`);
    const total = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(
      JSON.stringify({ MiB: size / 2 ** 20, sendS: sent.toFixed(2), totalS: total.toFixed(2), MiBps: Math.round(size / 2 ** 20 / total) }),
    );
  }
  child.kill('SIGTERM');
  agent.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
})();
