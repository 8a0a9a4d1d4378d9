// The change feed: cursor semantics, long-polls that wake on a commit, and resets for bad cursors.
import assert from 'node:assert/strict';
import { ChangesResponse, ListResponse } from '@mydropbox/shared';
import { DataClient, Harness, startHarness } from './harness';

describe('data server change feed', () => {
  let h: Harness;
  let alice: DataClient;
  const changes = (cursor: string, timeout = 0) =>
    alice.json<ChangesResponse>('GET', `/v1/changes?cursor=${encodeURIComponent(cursor)}&timeout=${timeout}`);

  before(async () => {
    h = await startHarness();
    alice = h.as('alice');
  });
  after(async () => h?.stop());

  it('starts at cursor 0 and reports each commit and delete once, in order', async () => {
    const start = await alice.json<ListResponse>('GET', '/v1/files');
    assert.equal(start.body.cursor, '0');
    assert.deepEqual((await changes('0')).body, { changes: [], cursor: '0' });
    await alice.upload('a.txt', Buffer.from('a'));
    await alice.upload('b.txt', Buffer.from('b'));
    await alice.json('DELETE', '/v1/files?path=a.txt');
    const all = await changes('0');
    assert.deepEqual(
      all.body.changes.map((c) => [c.path, c.deleted, c.rev]),
      [
        ['b.txt', false, 1],
        ['a.txt', true, 2],
      ],
    );
    assert.equal(all.body.cursor, '3');
    const fromMiddle = await changes('1');
    assert.deepEqual(
      fromMiddle.body.changes.map((c) => c.path),
      ['b.txt', 'a.txt'],
    );
    assert.deepEqual((await changes(all.body.cursor)).body, { changes: [], cursor: '3' });
  });

  it('wakes a long-poll as soon as a commit lands', async () => {
    const { body } = await alice.json<ListResponse>('GET', '/v1/files');
    const started = Date.now();
    const poll = changes(body.cursor, 20);
    await new Promise((r) => setTimeout(r, 200));
    await alice.upload('wake.txt', Buffer.from('now'));
    const res = await poll;
    const waited = Date.now() - started;
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.changes.map((c) => c.path),
      ['wake.txt'],
    );
    assert.ok(waited >= 200 && waited < 3000, `waited ${waited} ms`);
  });

  it('is not woken by another user, and returns empty when the wait ends', async () => {
    const { body } = await alice.json<ListResponse>('GET', '/v1/files');
    const started = Date.now();
    const poll = changes(body.cursor, 1);
    await h.as('bob').upload('bob.txt', Buffer.from('b'));
    const res = await poll;
    assert.deepEqual(res.body, { changes: [], cursor: body.cursor });
    assert.ok(Date.now() - started >= 900);
  });

  it('resets for a garbage cursor and for one ahead of the newest change', async () => {
    const now = (await alice.json<ListResponse>('GET', '/v1/files')).body.cursor;
    for (const bad of ['garbage', '-1', '1.5', '', '99999']) {
      const res = await changes(bad);
      assert.equal(res.status, 200, bad);
      assert.deepEqual(res.body, { changes: [], cursor: now, reset: true }, bad);
    }
    const missing = await alice.json<ChangesResponse>('GET', '/v1/changes?timeout=0');
    assert.equal(missing.body.reset, true);
  });

  it('refuses a timeout that is not a whole number', async () => {
    assert.equal((await alice.json('GET', '/v1/changes?cursor=0&timeout=abc')).status, 400);
    assert.equal((await alice.json('GET', '/v1/changes?cursor=0&timeout=-3')).status, 400);
  });

  it('carries folders made and removed, in one order with the files, and wakes a long-poll for a new folder', async () => {
    const carol = h.as('carol');
    const feed = (cursor: string, timeout = 0) =>
      carol.json<ChangesResponse>('GET', `/v1/changes?cursor=${encodeURIComponent(cursor)}&timeout=${timeout}`);
    await carol.json('POST', '/v1/folders', { path: 'Empty/Inner' });
    await carol.upload('Empty/file.txt', Buffer.from('f'));
    await carol.json('DELETE', '/v1/folders?path=Empty%2FInner');
    const all = await feed('0');
    assert.deepEqual(
      all.body.changes.map((c) => [c.path, c.kind ?? 'file', c.deleted]),
      // Like a file's row, a folder's row holds its latest change: made then removed reads as removed.
      [
        ['Empty', 'folder', false],
        ['Empty/file.txt', 'file', false],
        ['Empty/Inner', 'folder', true],
      ],
    );
    assert.equal(all.body.cursor, '4');
    // The listing's cursor and the feed agree: nothing after it, and a folder made again comes back.
    assert.equal((await carol.json<ListResponse>('GET', '/v1/files')).body.cursor, '4');
    const poll = feed('4', 20);
    await new Promise((r) => setTimeout(r, 100));
    await carol.json('POST', '/v1/folders', { path: 'Empty/Inner' });
    const woken = await poll;
    assert.deepEqual(
      woken.body.changes.map((c) => [c.path, c.kind, c.deleted, c.rev, c.size, c.contentHash]),
      [['Empty/Inner', 'folder', false, 0, 0, '']],
    );
    assert.equal(woken.body.cursor, '5');
    // Making a folder that is there already is not a change.
    await carol.json('POST', '/v1/folders', { path: 'Empty/Inner' });
    assert.deepEqual((await feed('5')).body, { changes: [], cursor: '5' });
    const folders = await carol.json<{ folders: { path: string }[] }>('GET', '/v1/folders');
    assert.deepEqual(
      folders.body.folders.map((f) => f.path),
      ['Empty', 'Empty/Inner'],
    );
  });
});
