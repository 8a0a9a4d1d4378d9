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
});
