// SIGKILL of the data server (main.ts as a child process) at seeded points of commits that edit existing files: after every
// restart each row's file exists with its size and hash, no file lacks a row, every edited file is its old or its new
// version, downloads send the row's bytes, and a client that retries converges byte for byte.
//
// Replay a run with FAULT_SEED=<the printed seed>; FAULT_LONG=1 (or FAULT_ROUNDS=n) runs many more rounds; FAULT_TIMED=1
// kills only at seeded moments.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import {
  BLOCK_SIZE,
  blockHashesOf,
  CommitBatchResponse,
  CommitRequest,
  contentHashOfBlocks,
  FileEntry,
  ListResponse,
} from '@mydropbox/shared';
import { tempDir } from '../../../test/support/databases';
import { rng } from '../../../test/support/seeded';
import { batchBody, bytes, DataClient } from './harness';
import { Child, ChildExited, exited, filesUnder, kill9, startChild } from './childServer';

const SERVER_ID = 4;
const SEED = process.env.FAULT_SEED ? Number(process.env.FAULT_SEED) : randomInt(2 ** 31);
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? (process.env.FAULT_LONG === '1' ? 400 : 52));
/** FAULT_TIMED=1: kills only at seeded moments (no named steps), as against a server without fault points. */
const TIMED_ONLY = process.env.FAULT_TIMED === '1';

/** The named steps of a write where the server can be told to kill itself (src/crashPoints.ts). */
const POINTS = [
  'batch-after-journal',
  'batch-before-rows',
  'batch-after-rows',
  'rename-done',
  'checkpoint-synced',
  'publish-after-keep',
  'publish-after-rename',
  'publish-after-rows',
] as const;

function hashOf(data: Buffer): string {
  return contentHashOfBlocks(blockHashesOf(data));
}

/** Sends the blocks of `datas` the server lacks: small ones in batches, big ones one by one. */
async function sendBlocks(client: DataClient, datas: Buffer[]): Promise<void> {
  const blocks = new Map<string, Buffer>();
  for (const d of datas) {
    blockHashesOf(d).forEach((h, i) => blocks.set(h, d.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE)));
  }
  const missing = await client.json<{ missing: string[] }>('POST', '/v1/blocks/missing', { hashes: [...blocks.keys()] });
  assert.equal(missing.status, 200, JSON.stringify(missing.body));
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (!batch.length) return;
    const res = await client.request('POST', '/v1/blocks/batch', {
      body: batchBody(batch),
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(res.status, 204, await res.text());
    batch = [];
    batchBytes = 0;
  };
  for (const h of missing.body.missing) {
    const b = blocks.get(h)!;
    if (b.length > 1024 * 1024) {
      const res = await client.putBlock(h, b);
      assert.equal(res.status, 204, await res.text());
      continue;
    }
    if (batchBytes + b.length > 8 * 1024 * 1024) await flush();
    batch.push(b);
    batchBytes += b.length;
  }
  await flush();
}

function commitOf(p: string, data: Buffer, baseRev: number | null): CommitRequest {
  return { path: p, size: data.length, blocks: blockHashesOf(data), baseRev, modifiedAt: 1_700_000_000_000 };
}

describe('data server killed with SIGKILL at seeded points of commits that edit files', function () {
  this.timeout(Math.max(600_000, ROUNDS * 10_000));
  const tmp = tempDir('mdb-faults-');
  const keys = generateSigningKeys();
  const signer = new AccessTokenSigner(keys.privateKeyPem);
  const keyFile = path.join(tmp.dir, 'router.pub.pem');
  const root = path.join(tmp.dir, 'root');
  const base = path.join(root, String(SERVER_ID));
  const userDir = path.join(base, 'alice');
  const env = { DATA_SERVER_ID: String(SERVER_ID), DATA_PORT: '0', DATA_ROOT: root, ROUTER_PUBLIC_KEY_FILE: keyFile, LOG_LEVEL: 'info' };
  let child: Child | undefined;
  const client = () => new DataClient(child!.url, signer.sign({ sub: 'alice', sid: SERVER_ID, scope: 'user' }).token);

  before(() => fs.writeFileSync(keyFile, keys.publicKeyPem));
  after(async () => {
    if (child) await kill9(child);
    tmp.remove();
  });

  /** Every listed row's file is on disk with its size and content hash, no file lacks a row, downloads send the row's bytes. */
  async function checkRowsMatchFiles(context: string): Promise<Map<string, FileEntry>> {
    const list = await client().json<ListResponse>('GET', '/v1/files');
    assert.equal(list.status, 200);
    const rows = new Map(list.body.files.map((f) => [f.path, f]));
    for (const row of rows.values()) {
      const abs = path.join(userDir, row.path);
      assert.ok(fs.existsSync(abs), `${context}: "${row.path}" is listed but not on disk`);
      const data = fs.readFileSync(abs);
      assert.equal(data.length, row.size, `${context}: "${row.path}" has ${data.length} bytes on disk, its row says ${row.size}`);
      assert.equal(hashOf(data), row.contentHash, `${context}: the bytes of "${row.path}" on disk are not those its row names`);
      const got = await client().download(row.path);
      assert.equal(got.status, 200);
      assert.equal(hashOf(got.data), row.contentHash, `${context}: the download of "${row.path}" is not the row's bytes`);
    }
    const orphans = filesUnder(userDir)
      .map((f) => path.relative(userDir, f).split(path.sep).join('/'))
      .filter((p) => !rows.has(p));
    assert.deepEqual(orphans, [], `${context}: files on disk without a row`);
    return rows;
  }

  /** What a device does after an outage: commit what the server lacks (with the server's revisions), delete what it should not have. */
  async function converge(want: Map<string, Buffer>): Promise<void> {
    const list = await client().json<ListResponse>('GET', '/v1/files');
    const rows = new Map(list.body.files.map((f) => [f.path, f]));
    const stale = [...want].filter(([p, d]) => rows.get(p)?.contentHash !== hashOf(d));
    await sendBlocks(
      client(),
      stale.map(([, d]) => d),
    );
    const small = stale.filter(([, d]) => d.length <= BLOCK_SIZE);
    if (small.length) {
      const res = await client().json<CommitBatchResponse>('POST', '/v1/commit/batch', {
        commits: small.map(([p, d]) => commitOf(p, d, rows.get(p)?.rev ?? null)),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      for (const r of res.body.results) assert.ok('file' in r, JSON.stringify(r));
    }
    for (const [p, d] of stale.filter(([, d]) => d.length > BLOCK_SIZE)) {
      const res = await client().json<FileEntry>('POST', '/v1/commit', commitOf(p, d, rows.get(p)?.rev ?? null));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    for (const p of [...rows.keys()].filter((p) => !want.has(p))) {
      const res = await client().request('DELETE', `/v1/files?path=${encodeURIComponent(p)}`);
      assert.equal(res.status, 200, await res.text());
    }
  }

  it(`keeps every row and its file in agreement across ${ROUNDS} kills, and converges (seed ${SEED})`, async () => {
    console.log(`      fault seed ${SEED} (replay: FAULT_SEED=${SEED})`);
    const r = rng(SEED);
    const want = new Map<string, Buffer>();
    let fileSeed = SEED % 100_000;
    const content = (length: number) => Buffer.from(bytes(length, ++fileSeed));
    for (let i = 0; i < 40; i++) want.set(`docs/d${i % 4}/note-${i}.txt`, content(1 + r.int(3000)));
    want.set('media/mid.bin', content(1024 * 1024 + 200_000)); // one block, too big for the journal: a temp file and a publish record
    want.set('media/big.bin', content(BLOCK_SIZE + 100_000)); // two blocks: a single commit, perhaps patched in place

    const kills = { named: 0, timed: 0, afterAnswers: 0, duringRecovery: 0 };
    const found: string[] = [];
    /** Paths the killed round touched, with the hashes they may hold afterwards (undefined: absent). */
    let allowed = new Map<string, Set<string | undefined>>();

    const start = async (faultKill?: string) => {
      for (;;) {
        try {
          child = await startChild({ ...env, MYDROPBOX_CRASH_AT: faultKill ?? '' });
          return;
        } catch (err) {
          if (!(err instanceof ChildExited) || err.signal !== 'SIGKILL') throw err;
          kills.duringRecovery++; // killed while replaying a journal: start again, unarmed
          faultKill = undefined;
        }
      }
    };

    await start();
    await converge(want);
    for (let round = 0; round < ROUNDS; round++) {
      const context = `seed ${SEED}, round ${round}`;
      // Check the state the last kill left (against a server armed for this round's kill).
      const journalsLeft = filesUnder(path.join(base, '.journal')).length > 0;
      const named = r.next() < 0.7 && !TIMED_ONLY;
      const point = journalsLeft && r.next() < 0.5 ? 'recovery-replayed' : r.pick(POINTS);
      const arm = named ? `${point}:${1 + r.int(point === 'rename-done' ? 4 : 1)}` : undefined;
      let before = new Map<string, string>();
      if (round > 0) {
        await start(arm);
        const rows = await checkRowsMatchFiles(context);
        for (const [p, hashes] of allowed) {
          const now = rows.get(p)?.contentHash;
          if (!hashes.has(now)) found.push(`${context}: "${p}" holds ${now ?? 'nothing'}, neither its old nor its new version`);
        }
        assert.deepEqual(found, []);
        before = new Map([...rows].map(([p, f]) => [p, f.contentHash]));
      }

      // The work this round (the armed server may die anywhere in it): first what a device does after an outage, committing
      // what the last kill cut off; then edit many small files in one batch (some to the same size), maybe the 1.2 MB one
      // with them, maybe add and delete a few; maybe edit the two-block file in a single commit.
      const wantBefore = new Map(want);
      const small = [...want.keys()].filter((p) => want.get(p)!.length <= 4000);
      const edits = new Map<string, Buffer>();
      for (let k = 10 + r.int(30); k > 0; k--) {
        const p = r.pick(small);
        edits.set(p, content(r.next() < 0.3 ? want.get(p)!.length : r.int(4000)));
      }
      if (r.next() < 0.3) edits.set('media/mid.bin', content(1024 * 1024 + 200_000));
      for (let k = r.next() < 0.2 ? 1 + r.int(3) : 0; k > 0; k--) edits.set(`new/r${round}-${k}.txt`, content(r.int(2000)));
      const deletes = r.next() < 0.2 ? small.filter((p) => !edits.has(p)).slice(0, 1 + r.int(3)) : [];
      const bigEdit = r.next() < 0.3 ? Buffer.concat([want.get('media/big.bin')!.subarray(0, BLOCK_SIZE), content(100_000)]) : undefined;
      const wantAfter = new Map(want);
      for (const [p, d] of edits) wantAfter.set(p, d);
      for (const p of deletes) wantAfter.delete(p);
      if (bigEdit) wantAfter.set('media/big.bin', bigEdit);
      // Each path may afterwards hold what the server had, what the device had, or what the device has now.
      const hashOrNone = (d: Buffer | undefined) => (d ? hashOf(d) : undefined);
      allowed = new Map();
      for (const p of new Set([...before.keys(), ...wantBefore.keys(), ...wantAfter.keys()])) {
        allowed.set(
          p,
          new Set([round > 0 ? before.get(p) : hashOrNone(wantBefore.get(p)), hashOrNone(wantBefore.get(p)), hashOrNone(wantAfter.get(p))]),
        );
      }
      if (round === 0 && arm) {
        await kill9(child!); // the first round's server was started unarmed: start it again armed
        kills.afterAnswers++;
        await start(arm);
      }

      let timer: NodeJS.Timeout | undefined;
      let timedOut = false;
      // A seeded moment while the blocks go up (and the catch-up commits), or once the commits are sent.
      const duringUploads = r.next() < 0.35;
      const delay = r.int(duringUploads ? 80 : bigEdit ? 120 : 40);
      const armTimer = () => {
        timer = setTimeout(() => {
          timedOut = true;
          void kill9(child!);
        }, delay);
      };
      const work = (async () => {
        if (!named && duringUploads) armTimer();
        await converge(wantBefore);
        const listed = await client().json<ListResponse>('GET', '/v1/files');
        const revs = new Map(listed.body.files.map((f) => [f.path, f.rev]));
        await sendBlocks(client(), [...edits.values(), ...(bigEdit ? [bigEdit] : [])]);
        if (!named && !duringUploads) armTimer();
        const batch = client().json('POST', '/v1/commit/batch', {
          commits: [...edits].map(([p, d]) => commitOf(p, d, revs.get(p) ?? null)),
        });
        const big = bigEdit
          ? client().json('POST', '/v1/commit', commitOf('media/big.bin', bigEdit, revs.get('media/big.bin')!))
          : undefined;
        await Promise.all([batch, big]);
        for (const p of deletes) await client().request('DELETE', `/v1/files?path=${encodeURIComponent(p)}&baseRev=${revs.get(p)}`);
      })();
      const outcome = await work.then(
        () => 'answered',
        (err: Error) => `failed: ${err.message}`,
      );
      clearTimeout(timer);
      want.clear();
      for (const [p, d] of wantAfter) want.set(p, d);
      const dead = child!.proc.exitCode !== null || child!.proc.signalCode !== null;
      if (!dead && outcome !== 'answered' && !timedOut) {
        await new Promise((res) => setTimeout(res, 200)); // a kill at a named step may still be on its way
        if (child!.proc.exitCode === null && child!.proc.signalCode === null) throw new Error(`${context}: the work ${outcome}`);
      }
      if (dead || outcome !== 'answered') {
        await exited(child!).catch(() => undefined);
        if (timedOut) kills.timed++;
        else kills.named++;
      } else {
        // Answered in full (the armed point was not reached, or comes after the answer, as a checkpoint does).
        if (arm?.startsWith('checkpoint-')) await new Promise((res) => setTimeout(res, 50));
        if (child!.proc.signalCode === 'SIGKILL') kills.named++;
        else {
          await kill9(child!);
          kills.afterAnswers++;
        }
      }
    }

    await start();
    const rows = await checkRowsMatchFiles(`seed ${SEED}, after the last round`);
    for (const [p, hashes] of allowed) assert.ok(hashes.has(rows.get(p)?.contentHash), `"${p}" is neither its old nor its new version`);
    await converge(want);
    const final = await checkRowsMatchFiles(`seed ${SEED}, converged`);
    assert.deepEqual([...final.keys()].sort(), [...want.keys()].sort());
    for (const [p, d] of want) assert.deepEqual((await client().download(p)).data, d, `"${p}" differs from the device's copy`);
    const total = kills.named + kills.timed + kills.afterAnswers + kills.duringRecovery;
    console.log(
      `      ${total} SIGKILLs (at a named step ${kills.named}, at a seeded moment ${kills.timed}, after the answers ${kills.afterAnswers}, during recovery ${kills.duringRecovery})`,
    );
    assert.ok(total >= ROUNDS, 'every round ends with a kill');
    if (!TIMED_ONLY) assert.ok(kills.named > 0, 'the fault points fired');
    const stopped = new Promise<number | null>((res) => child!.proc.once('exit', (code) => res(code)));
    child!.proc.kill('SIGTERM');
    assert.equal(await stopped, 0);
  });
});
