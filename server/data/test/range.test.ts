// Range requests: the header parser on its own, then real 206/416 answers.
import assert from 'node:assert/strict';
import { parseRange } from '../src/routes/byteRange';
import { bytes, DataClient, Harness, startHarness } from './harness';

describe('parseRange', () => {
  it('reads single ranges, suffixes and open ends', () => {
    assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=90-500', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange('bytes=-500', 100), { start: 0, end: 99 });
  });
  it('calls ranges outside the file unsatisfiable', () => {
    assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=100-200', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-0', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=-5', 0), 'unsatisfiable');
  });
  it('ignores what it does not serve: none, malformed, reversed, several ranges, other units', () => {
    for (const h of [undefined, '', 'bytes=', 'bytes=-', 'bytes=5-2', 'bytes=0-1,5-6', 'items=0-1', 'bytes=a-b', 'bytes=1.5-2']) {
      assert.equal(parseRange(h, 100), undefined, String(h));
    }
  });
});

describe('data server Range requests', () => {
  let h: Harness;
  let alice: DataClient;
  const data = bytes(10_000, 3);

  before(async () => {
    h = await startHarness();
    alice = h.as('alice');
    assert.equal((await alice.upload('r.bin', data)).status, 200);
    assert.equal((await alice.upload('empty', Buffer.alloc(0))).status, 200);
  });
  after(async () => h?.stop());

  it('answers a valid range with 206 and exactly those bytes', async () => {
    const got = await alice.download('r.bin', { range: 'bytes=100-199' });
    assert.equal(got.status, 206);
    assert.equal(got.res.headers.get('content-range'), 'bytes 100-199/10000');
    assert.equal(got.res.headers.get('content-length'), '100');
    assert.deepEqual(got.data, data.subarray(100, 200));
  });

  it('answers a suffix range with the last bytes', async () => {
    const got = await alice.download('r.bin', { range: 'bytes=-16' });
    assert.equal(got.status, 206);
    assert.equal(got.res.headers.get('content-range'), 'bytes 9984-9999/10000');
    assert.deepEqual(got.data, data.subarray(9984));
  });

  it('answers an open-ended range up to the end', async () => {
    const got = await alice.download('r.bin', { range: 'bytes=9000-' });
    assert.equal(got.status, 206);
    assert.deepEqual(got.data, data.subarray(9000));
  });

  it('answers an unsatisfiable range with 416 and the real size', async () => {
    for (const [file, range, size] of [
      ['r.bin', 'bytes=10000-', 10000],
      ['r.bin', 'bytes=-0', 10000],
      ['empty', 'bytes=0-', 0],
    ] as const) {
      const got = await alice.download(file, { range });
      assert.equal(got.status, 416, range);
      assert.equal(got.res.headers.get('content-range'), `bytes */${size}`);
      assert.equal(JSON.parse(got.data.toString()).error.code, 'range_not_satisfiable');
    }
  });

  it('sends the whole file for several ranges or a stale If-Range', async () => {
    const several = await alice.download('r.bin', { range: 'bytes=0-1,5-6' });
    assert.equal(several.status, 200);
    assert.equal(several.data.length, 10_000);
    const stale = await alice.download('r.bin', { range: 'bytes=0-1', 'if-range': '"0000"' });
    assert.equal(stale.status, 200);
    assert.equal(stale.data.length, 10_000);
  });
});
