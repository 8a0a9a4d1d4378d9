// Times the phases of one 1 GiB commit (read+write loop, fsync, rename+rows) in-process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomFillSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { openDatabase, migrateLatest, silentLogger } from '@mydropbox/server-common';
import { BLOCK_SIZE } from '@mydropbox/shared';
import { createDataServices } from '../src';

(async () => {
  const N = Number(process.argv[2] ?? 256);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-commit-'));
  const db = openDatabase(`sqlite:${dir}/d.sqlite`);
  await migrateLatest(db, 'data');
  const s = createDataServices({ db, root: dir, serverId: 1, quotaBytes: 1e12, log: silentLogger() });
  await s.sweep();
  const hashes: string[] = [];
  const buf = Buffer.allocUnsafe(BLOCK_SIZE);
  let t = Date.now();
  for (let i = 0; i < N; i++) {
    randomFillSync(buf);
    const h = createHash('sha256').update(buf).digest('hex');
    hashes.push(h);
    await s.uploads.receive('u', h, Readable.from([buf]), BLOCK_SIZE);
  }
  const stageMs = Date.now() - t;
  t = Date.now();
  await s.writes.commit('u', { path: 'big.bin', size: N * BLOCK_SIZE, blocks: hashes, baseRev: null });
  const commitMs = Date.now() - t;
  t = Date.now();
  await s.writes.copy('u', { from: 'big.bin', to: 'copy.bin' });
  const copyMs = Date.now() - t;
  console.log(JSON.stringify({ mib: N * 4, stageMs, commitMs, commitMiBps: ((N * 4) / (commitMs / 1000)).toFixed(0), copyMs }));
  await s.close();
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
})();
