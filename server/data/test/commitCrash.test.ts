// A single commit (the batch path with a batch of one) killed with SIGKILL at each named step it passes: after a restart
// every row's file is there with its bytes, no file lacks a row, the path holds its old or its new content, and a new one
// kept the old one as a version.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AccessTokenSigner, generateSigningKeys } from '@mydropbox/server-common';
import {
  BLOCK_SIZE,
  blockHashesOf,
  contentHashOfBlocks,
  type FileEntry,
  type ListResponse,
  type OpenUploadResponse,
  type VersionsResponse,
} from '@mydropbox/shared';
import { tempDir } from '../../../test/support/databases';
import { bytes, DataClient } from './harness';
import { exited, filesUnder, kill9, startChild, type Child } from './childServer';

const SERVER_ID = 5;

/** The steps a single commit passes (src/crashPoints.ts); the batch names of the same steps are tried by faults.test.ts. */
const POINTS = [
  'publish-after-keep',
  'batch-after-journal',
  'publish-after-rename',
  'publish-after-rows',
  'rename-done',
  'checkpoint-synced',
];

const hashOf = (data: Buffer) => contentHashOfBlocks(blockHashesOf(data));

describe('a single commit killed with SIGKILL at each of its named steps (main.ts as a child process)', function () {
  this.timeout(300_000);
  const tmp = tempDir('mdb-commitcrash-');
  const keys = generateSigningKeys();
  const signer = new AccessTokenSigner(keys.privateKeyPem);
  const keyFile = path.join(tmp.dir, 'router.pub.pem');
  const root = path.join(tmp.dir, 'root');
  const userDir = path.join(root, String(SERVER_ID), 'dora');
  const env = { DATA_SERVER_ID: String(SERVER_ID), DATA_PORT: '0', DATA_ROOT: root, ROUTER_PUBLIC_KEY_FILE: keyFile, LOG_LEVEL: 'info' };
  let child: Child | undefined;
  const client = () => new DataClient(child!.url, signer.sign({ sub: 'dora', sid: SERVER_ID, scope: 'user', dn: 'Desk' }).token);

  before(() => fs.writeFileSync(keyFile, keys.publicKeyPem));
  after(async () => {
    if (child) await kill9(child);
    tmp.remove();
  });

  const start = async (armedAt = '') => {
    child = await startChild({ ...env, MYDROPBOX_CRASH_AT: armedAt });
    return client();
  };

  /** Every listed row's file has its bytes, and no file lacks a row. */
  async function rowsMatchFiles(c: DataClient, context: string): Promise<Map<string, FileEntry>> {
    const list = await c.json<ListResponse>('GET', '/v1/files');
    assert.equal(list.status, 200);
    const rows = new Map(list.body.files.map((f) => [f.path, f]));
    for (const row of rows.values()) {
      const data = fs.readFileSync(path.join(userDir, row.path));
      assert.equal(hashOf(data), row.contentHash, `${context}: "${row.path}" on disk is not what its row names`);
      assert.equal(hashOf((await c.download(row.path)).data), row.contentHash, `${context}: the download of "${row.path}"`);
    }
    const orphans = filesUnder(userDir)
      .map((f) => path.relative(userDir, f).split(path.sep).join('/'))
      .filter((p) => !rows.has(p));
    assert.deepEqual(orphans, [], `${context}: files on disk without a row`);
    return rows;
  }

  /** What a killed commit may have left at its path: its old content (undefined: none) or its new. */
  interface Outcome {
    p: string;
    data: Buffer;
    old: Buffer | undefined;
    context: string;
  }

  /** The path holds its old or its new content, and a new one kept the old as a version. */
  async function checkOutcome(c: DataClient, rows: Map<string, FileEntry>, o: Outcome): Promise<void> {
    const now = rows.get(o.p)?.contentHash;
    assert.ok(
      now === hashOf(o.data) || now === (o.old && hashOf(o.old)),
      `${o.context}: "${o.p}" holds neither its old nor its new content`,
    );
    if (o.old && now === hashOf(o.data)) {
      const kept = (await c.json<VersionsResponse>('GET', `/v1/versions?path=${encodeURIComponent(o.p)}`)).body.versions;
      const content = await c.request('GET', `/v1/versions/content?id=${kept[0]!.id}`);
      assert.deepEqual(Buffer.from(await content.arrayBuffer()), o.old, `${o.context}: the content replaced is kept`);
    }
  }

  /**
   * One single commit of `data` at `p` over `old` (undefined: nothing there), against a server armed at `point`; the
   * state the last kill left is checked first (reads pass no named step). True if the server died at the point.
   */
  async function killedCommit(point: string, last: Outcome | undefined, o: Outcome, viaSession: boolean): Promise<boolean> {
    // A journal the last kill left is replayed at start, where a rename would reach an armed rename-done first.
    if (filesUnder(path.join(root, String(SERVER_ID), '.journal')).length) {
      await start();
      await kill9(child!);
    }
    const c = await start(point);
    if (last) await checkOutcome(c, await rowsMatchFiles(c, last.context), last);
    const { p, data, old } = o;
    const rev = (await c.json<FileEntry>('GET', `/v1/files/meta?path=${encodeURIComponent(p)}`)).body.rev ?? null;
    const blocks = blockHashesOf(data);
    const commit = { path: p, size: data.length, blocks, baseRev: old ? rev : null, modifiedAt: 1_700_000_000_000 };
    const answer = (async () => {
      if (!viaSession) return c.upload(p, data, commit.baseRev);
      const id = (await c.json<OpenUploadResponse>('POST', '/v1/uploads', { size: data.length, blocks })).body.uploadId;
      for (const [i] of blocks.entries()) {
        const res = await c.request('PUT', `/v1/uploads/${id}/blocks/${i}`, {
          body: data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE),
          headers: { 'content-type': 'application/octet-stream' },
        });
        assert.equal(res.status, 204);
      }
      return c.json<FileEntry>('POST', '/v1/commit', { ...commit, uploadId: id });
    })();
    const status = await answer.then(
      (res) => res.status,
      () => 'cut off',
    );
    if (status !== 'cut off') assert.equal(status, 200, o.context);
    // A step after the answer (the journal's checkpoint) may still be on its way; a step never reached leaves it running.
    await Promise.race([exited(child!), new Promise((res) => setTimeout(res, 300))]);
    const died = child!.proc.signalCode === 'SIGKILL';
    await kill9(child!);
    return died;
  }

  for (const point of POINTS) {
    it(`leaves rows and files in agreement when killed at ${point}`, async () => {
      const tag = point.replace(/-/g, '');
      const small1 = Buffer.from(`small one ${point}`);
      const big1 = bytes(BLOCK_SIZE + 1000, 3);
      const big2 = Buffer.concat([big1.subarray(0, BLOCK_SIZE), bytes(1000, 4)]);
      let c = await start();
      for (const [p, d] of [
        [`${tag}/small.txt`, small1],
        [`${tag}/big.bin`, big1],
        [`${tag}/session.bin`, big1],
      ] as const) {
        assert.equal((await c.upload(p, d)).status, 200);
      }
      await kill9(child!);
      // A small file over a live one (journaled), a big one over a live one (a temp file and a publish record: after a
      // restart it is not patched in place), a new big file (renamed in before its row), one from an upload session.
      const cases: [Outcome, boolean][] = [
        [{ p: `${tag}/small.txt`, data: Buffer.from(`small two ${point}`), old: small1, context: 'a small file over a file' }, false],
        [{ p: `${tag}/big.bin`, data: big2, old: big1, context: 'a big file over a file' }, false],
        [{ p: `${tag}/new.bin`, data: bytes(BLOCK_SIZE + 500, 5), old: undefined, context: 'a new big file' }, false],
        [{ p: `${tag}/session.bin`, data: big2, old: big1, context: 'an upload session over a file' }, true],
      ];
      let last: Outcome | undefined;
      for (const [o, viaSession] of cases) {
        const outcome = { ...o, context: `${o.context}, killed at ${point}` };
        const died = await killedCommit(point, last, outcome, viaSession);
        // Every commit passes every step, except the checkpoint of a journal, which one where nothing was does not write.
        assert.equal(died, point !== 'checkpoint-synced' || o.old !== undefined, `${outcome.context}: the server died there`);
        last = outcome;
      }
      c = await start();
      const rows = await rowsMatchFiles(c, last!.context);
      for (const [o] of cases) await checkOutcome(c, rows, { ...o, context: `${o.context}, killed at ${point}` });
      // A client that tries again gets there.
      for (const [o] of cases) {
        const now = rows.get(o.p);
        if (now?.contentHash !== hashOf(o.data)) assert.equal((await c.upload(o.p, o.data, now?.rev ?? null)).status, 200, o.context);
        assert.deepEqual((await c.download(o.p)).data, o.data, o.context);
      }
      await rowsMatchFiles(c, `after ${point}, converged`);
      await kill9(child!);
    });
  }
});
