// `npm run bench:history [-- --size-mib 1024 --edits 100 --files 1000 --db sqlite|mariadb]`: what version history costs on disk and how long a folder restore takes, against a real data server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import { BLOCK_SIZE, contentHashOfBlocks } from '@mydropbox/shared';
import { startDataServer } from '../server/data/src';
import { createTestDatabase } from '../test/support/databases';

const MiB = 1024 * 1024;
const SERVER_ID = 1;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Bytes a folder's files take on disk (allocated blocks, so holes and hard links are counted as the disk sees them). */
function diskBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  const seen = new Set<string>();
  let total = 0;
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const st = fs.statSync(path.join(e.parentPath, e.name));
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) continue;
    seen.add(id);
    total += st.blocks * 512;
  }
  return total;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'size-mib': { type: 'string', default: '1024' },
      edits: { type: 'string', default: '100' },
      files: { type: 'string', default: '1000' },
      db: { type: 'string', default: 'sqlite' },
    },
  });
  const size = Number(values['size-mib']) * MiB;
  const edits = Number(values.edits);
  const fileCount = Number(values.files);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-bench-history-'));
  const keys = generateSigningKeys();
  const signer = new AccessTokenSigner(keys.privateKeyPem);
  const db = await createTestDatabase(values.db === 'mariadb' ? 'mariadb' : 'sqlite');
  const server = await startDataServer({
    serverId: SERVER_ID,
    root: home,
    databaseUrl: db.url,
    routerPublicKeyPem: keys.publicKeyPem,
    purgeIntervalMs: 0,
  });
  const token = signer.sign({ sub: 'bench', sid: SERVER_ID, scope: 'user', dn: 'Bench' }, 3600).token;
  const call = async (method: string, p: string, body?: unknown, raw?: Buffer): Promise<unknown> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(server.url + p, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const putBlock = (data: Buffer) => call('PUT', `/v1/blocks/${sha256(data)}`, undefined, data);
  const base = path.join(home, String(SERVER_ID));
  try {
    // 1. A big file edited many times in one block.
    const hashes: string[] = [];
    for (let i = 0; i * BLOCK_SIZE < size; i++) {
      const block = randomBytes(Math.min(BLOCK_SIZE, size - i * BLOCK_SIZE));
      hashes.push(sha256(block));
      await putBlock(block);
    }
    let rev = ((await call('POST', '/v1/commit', { path: 'big.bin', size, blocks: hashes, baseRev: null })) as { rev: number }).rev;
    const live = diskBytes(path.join(base, 'bench'));
    const edited = Math.min(7, hashes.length - 1);
    const editTimes: number[] = [];
    for (let k = 0; k < edits; k++) {
      const block = randomBytes(Math.min(BLOCK_SIZE, size - edited * BLOCK_SIZE));
      hashes[edited] = sha256(block);
      await putBlock(block);
      const t = performance.now();
      rev = ((await call('POST', '/v1/commit', { path: 'big.bin', size, blocks: hashes, baseRev: rev })) as { rev: number }).rev;
      editTimes.push(performance.now() - t);
    }
    const kept = diskBytes(path.join(base, '.versions', 'bench'));
    const versions = (await call('GET', '/v1/versions?path=big.bin')) as { versions: unknown[]; current: { contentHash: string } };
    if (versions.current.contentHash !== contentHashOfBlocks(hashes)) throw new Error('the live file is not the last edit');
    const firstEdit = editTimes[0]!;
    editTimes.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        workload: `${size / MiB} MiB file, ${edits} edits of block ${edited}`,
        liveBytes: live,
        versionsKept: versions.versions.length,
        historyBytes: kept,
        historyMiB: +(kept / MiB).toFixed(1),
        editMedianMs: +editTimes[Math.floor(editTimes.length / 2)]!.toFixed(1),
        firstEditMs: +firstEdit.toFixed(1),
      }),
    );
    await call('DELETE', '/v1/files?path=big.bin');

    // 2. A folder of many small files deleted, then restored at once.
    const small = Array.from({ length: fileCount }, (_, i) => Buffer.from(`file ${i} `.repeat(100)));
    for (const data of small) await putBlock(data);
    for (let i = 0; i < small.length; i += 1000) {
      const commits = small
        .slice(i, i + 1000)
        .map((data, j) => ({ path: `folder/f${i + j}.txt`, size: data.length, blocks: [sha256(data)], baseRev: null }));
      await call('POST', '/v1/commit/batch', { commits });
    }
    await call('DELETE', '/v1/folders?path=folder');
    const t = performance.now();
    const restored = (await call('POST', '/v1/restore/folder', { path: 'folder' })) as { restored: number };
    const restoreMs = performance.now() - t;
    if (restored.restored !== fileCount) throw new Error(`restored ${restored.restored} of ${fileCount}`);
    console.log(
      JSON.stringify({ workload: `restore a folder of ${fileCount} deleted files (${values.db})`, restoreMs: Math.round(restoreMs) }),
    );
  } finally {
    await server.close();
    await db.drop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
