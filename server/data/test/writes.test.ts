// Deletes, tombstones, stale revisions, folder collisions, copies and moves over real HTTP.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorBody, FileEntry } from '@mydropbox/shared';
import { bytes, DataClient, Harness, SERVER_ID, startHarness } from './harness';

type Maybe<T> = T & Partial<ErrorBody>;

describe('data server writes', () => {
  let h: Harness;
  let alice: DataClient;
  const onDisk = (p: string) => path.join(h.root, String(SERVER_ID), 'alice', p);

  before(async () => {
    h = await startHarness();
    alice = h.as('alice');
  });
  after(async () => h?.stop());

  it('deletes a file, leaves a tombstone with the next revision, and removes emptied folders', async () => {
    await alice.upload('keep/other.txt', Buffer.from('stay'));
    const put = await alice.upload('keep/sub/deeper/gone.txt', Buffer.from('bye'));
    const del = await alice.json<Maybe<{ path: string; rev: number }>>(
      'DELETE',
      `/v1/files?path=keep/sub/deeper/gone.txt&baseRev=${put.body.rev}`,
    );
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, { path: 'keep/sub/deeper/gone.txt', rev: 2 });
    assert.equal((await alice.download('keep/sub/deeper/gone.txt')).status, 404);
    assert.equal(fs.existsSync(onDisk('keep/sub')), false);
    assert.equal(fs.existsSync(onDisk('keep/other.txt')), true);
    const meta = await alice.json<ErrorBody>('GET', '/v1/files/meta?path=keep/sub/deeper/gone.txt');
    assert.equal(meta.status, 404);
    assert.equal(meta.body.error.code, 'not_found');
    // A new file at the tombstone's path continues its revisions; baseRev null is right for it.
    const again = await alice.upload('keep/sub/deeper/gone.txt', Buffer.from('back'));
    assert.equal(again.status, 200);
    assert.equal(again.body.rev, 3);
  });

  it('refuses to delete a missing file (404) and a stale revision (409), and deletes without baseRev', async () => {
    assert.equal((await alice.json('DELETE', '/v1/files?path=never-was')).status, 404);
    const v1 = await alice.upload('d.txt', Buffer.from('1'));
    await alice.upload('d.txt', Buffer.from('2'), v1.body.rev);
    const stale = await alice.json<ErrorBody>('DELETE', `/v1/files?path=d.txt&baseRev=${v1.body.rev}`);
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, 'conflict');
    assert.deepEqual(stale.body.error.details, { currentRev: 2 });
    assert.equal((await alice.download('d.txt')).data.toString(), '2');
    assert.equal((await alice.json('DELETE', '/v1/files?path=d.txt')).status, 200);
  });

  it('refuses a commit from a stale revision, or as new over an existing file, with the current revision', async () => {
    const v1 = await alice.upload('c.txt', Buffer.from('one'));
    const v2 = await alice.upload('c.txt', Buffer.from('two'), v1.body.rev);
    assert.equal(v2.status, 200);
    const stale = await alice.upload('c.txt', Buffer.from('three'), v1.body.rev);
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.body.error?.code, 'conflict');
    assert.equal((await alice.download('c.txt')).data.toString(), 'two');
    const asNew = (await alice.upload('c.txt', Buffer.from('four'), null)) as unknown as { status: number; body: ErrorBody };
    assert.equal(asNew.status, 409);
    assert.deepEqual(asNew.body.error.details, { currentRev: 2 });
    const ghost = (await alice.upload('no-such.txt', Buffer.from('x'), 4)) as unknown as { status: number; body: ErrorBody };
    assert.equal(ghost.status, 409);
    assert.deepEqual(ghost.body.error.details, { currentRev: null });
  });

  it('refuses a file where a folder with files is, and a file inside a file', async () => {
    await alice.upload('folder/inside.txt', Buffer.from('x'));
    const overFolder = (await alice.upload('folder', Buffer.from('y'))) as unknown as { status: number; body: ErrorBody };
    assert.equal(overFolder.status, 409);
    assert.equal(overFolder.body.error.code, 'conflict');
    assert.match(overFolder.body.error.message, /folder/);
    await alice.upload('plain', Buffer.from('file'));
    const insideFile = (await alice.upload('plain/child.txt', Buffer.from('z'))) as unknown as { status: number; body: ErrorBody };
    assert.equal(insideFile.status, 409);
    assert.match(insideFile.body.error.message, /"plain" is a file/);
    assert.equal((await alice.download('plain')).data.toString(), 'file');
    // Once the folder is emptied by a delete, a file may take its name.
    await alice.json('DELETE', '/v1/files?path=folder/inside.txt');
    assert.equal((await alice.upload('folder', Buffer.from('now a file'))).status, 200);
  });

  it('copies a file without a payload, refusing to overwrite unless asked', async () => {
    const data = bytes(5 * 1024 * 1024, 9);
    const src = await alice.upload('cp/src.bin', data);
    const copy = await alice.json<Maybe<FileEntry>>('POST', '/v1/files/copy', { from: 'cp/src.bin', to: 'cp/dst/copy.bin' });
    assert.equal(copy.status, 200);
    assert.equal(copy.body.contentHash, src.body.contentHash);
    assert.equal(copy.body.rev, 1);
    assert.deepEqual((await alice.download('cp/dst/copy.bin')).data, data);
    assert.deepEqual((await alice.download('cp/src.bin')).data, data);
    const again = await alice.json<ErrorBody>('POST', '/v1/files/copy', { from: 'cp/src.bin', to: 'cp/dst/copy.bin' });
    assert.equal(again.status, 409);
    assert.deepEqual(again.body.error.details, { currentRev: 1 });
    const over = await alice.json<FileEntry>('POST', '/v1/files/copy', { from: 'cp/src.bin', to: 'cp/dst/copy.bin', overwrite: true });
    assert.equal(over.status, 200);
    assert.equal(over.body.rev, 2);
    const stale = await alice.json<ErrorBody>('POST', '/v1/files/copy', { from: 'cp/src.bin', to: 'cp/x', baseRev: 99 });
    assert.equal(stale.status, 409);
    assert.equal((await alice.json('POST', '/v1/files/copy', { from: 'cp/none', to: 'cp/y' })).status, 404);
    assert.equal((await alice.json('POST', '/v1/files/copy', { from: 'cp/src.bin', to: 'cp/src.bin' })).status, 400);
  });

  it('moves a file: the target appears, the source becomes a tombstone, and its folder goes', async () => {
    const data = bytes(4 * 1024 * 1024 + 1, 10);
    await alice.upload('mv/a/src.bin', data);
    const move = await alice.json<{ file: FileEntry; from: { path: string; rev: number } }>('POST', '/v1/files/move', {
      from: 'mv/a/src.bin',
      to: 'mv/b/moved.bin',
      baseRev: 1,
    });
    assert.equal(move.status, 200);
    assert.equal(move.body.file.path, 'mv/b/moved.bin');
    assert.deepEqual(move.body.from, { path: 'mv/a/src.bin', rev: 2 });
    assert.deepEqual((await alice.download('mv/b/moved.bin')).data, data);
    assert.equal((await alice.download('mv/a/src.bin')).status, 404);
    assert.equal(fs.existsSync(onDisk('mv/a')), false);
    const into = await alice.json<ErrorBody>('POST', '/v1/files/move', { from: 'mv/b/moved.bin', to: 'mv/b/moved.bin/x' });
    assert.equal(into.status, 409);
  });
});
