// Every external input the data server refuses: bad paths, tokens, bodies, blocks and quota.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { BLOCK_SIZE, blockHashesOf, ErrorBody, generateKeyPairForTests } from './refusalsSupport';
import { bytes, DataClient, Harness, SERVER_ID, sha256, startHarness } from './harness';

const BAD_PATHS: [string, string][] = [
  ['dot-dot', '../etc/passwd'],
  ['inner dot-dot', 'a/../../b'],
  ['dot', './a'],
  ['absolute', '/abs/file'],
  ['drive letter', 'C:\\Windows\\x'],
  ['drive letter with slash', 'C:/x'],
  ['NUL', 'a\u0000b'],
  ['control character', 'a\u0007b'],
  ['newline', 'a\nb'],
  ['empty segment', 'a//b'],
  ['trailing slash', 'a/'],
  ['empty', ''],
  ['256-byte segment', 'x'.repeat(256)],
  ['path over 4096 bytes', Array.from({ length: 20 }, () => 'y'.repeat(250)).join('/')],
  ['backslash', 'a\\b'],
];

describe('data server refusals', () => {
  let h: Harness;
  let alice: DataClient;

  before(async () => {
    h = await startHarness({ quotaBytes: 10 * 1024 * 1024 });
    alice = h.as('alice');
    assert.equal((await alice.upload('real.txt', Buffer.from('real'))).status, 200);
  });
  after(async () => h?.stop());

  describe('bad paths, on every endpoint that takes one', () => {
    for (const [name, bad] of BAD_PATHS) {
      it(`refuses ${name}`, async () => {
        const q = encodeURIComponent(bad);
        const hashes = blockHashesOf(Buffer.from('real'));
        const calls: [string, Promise<{ status: number; body: ErrorBody }>][] = [
          ['meta', alice.json('GET', `/v1/files/meta?path=${q}`)],
          ['content', alice.json('GET', `/v1/files/content?path=${q}`)],
          ['delete', alice.json('DELETE', `/v1/files?path=${q}`)],
          ['commit', alice.json('POST', '/v1/commit', { path: bad, size: 4, blocks: hashes, baseRev: null })],
          ['copy from', alice.json('POST', '/v1/files/copy', { from: bad, to: 'ok.txt' })],
          ['copy to', alice.json('POST', '/v1/files/copy', { from: 'real.txt', to: bad })],
          ['move from', alice.json('POST', '/v1/files/move', { from: bad, to: 'ok.txt' })],
          ['move to', alice.json('POST', '/v1/files/move', { from: 'real.txt', to: bad })],
        ];
        for (const [endpoint, call] of calls) {
          const res = await call;
          assert.equal(res.status, 400, `${endpoint}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.code, 'invalid_path', endpoint);
        }
        // Nothing was written anywhere, and the real file is untouched.
        const userDir = path.join(h.root, String(SERVER_ID), 'alice');
        assert.deepEqual(fs.readdirSync(userDir), ['real.txt']);
        assert.equal((await alice.download('real.txt')).data.toString(), 'real');
      });
    }

    it('refuses a repeated or missing path parameter', async () => {
      assert.equal((await alice.json('GET', '/v1/files/meta?path=a&path=b')).status, 400);
      assert.equal((await alice.json('GET', '/v1/files/content')).status, 400);
    });
  });

  describe('tokens', () => {
    const attempts: [string, () => Record<string, string>][] = [
      ['no token', () => ({})],
      ['not a Bearer header', () => ({ authorization: 'Basic YWxpY2U6cGFzcw==' })],
      ['garbage', () => ({ authorization: 'Bearer garbage' })],
      ['forged signature', () => ({ authorization: `Bearer ${forge(h.token('alice'))}` })],
      [
        'signed by another key',
        () => ({ authorization: `Bearer ${generateKeyPairForTests().sign({ sub: 'alice', sid: SERVER_ID, scope: 'user' }).token}` }),
      ],
    ];
    for (const [name, headers] of attempts) {
      it(`answers 401 to ${name}`, async () => {
        const res = await fetch(`${h.url}/v1/files`, { headers: headers() });
        assert.equal(res.status, 401);
        assert.equal(res.headers.get('www-authenticate'), 'Bearer');
        assert.equal(((await res.json()) as ErrorBody).error.code, 'unauthorized');
      });
    }

    it('answers 401 token_expired to an expired token', async () => {
      const res = await fetch(`${h.url}/v1/files`, { headers: { authorization: `Bearer ${h.token('alice', { ttl: -10 })}` } });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as ErrorBody).error.code, 'token_expired');
    });

    it('answers 403 to a token for another data server, and to an unsafe username', async () => {
      for (const token of [h.token('alice', { sid: SERVER_ID + 1 }), h.token('.staging'), h.token('../bob'), h.token('')]) {
        const res = await fetch(`${h.url}/v1/files`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.status, 403);
      }
    });

    it('guards block uploads and unknown /v1 paths too', async () => {
      const res = await fetch(`${h.url}/v1/blocks/${'0'.repeat(64)}`, { method: 'PUT', body: 'x' });
      assert.equal(res.status, 401);
      assert.equal((await fetch(`${h.url}/v1/nothing-here`)).status, 401);
      assert.equal((await alice.json('GET', '/v1/nothing-here')).status, 404);
    });

    it('lets the router act for a user with a router-scope token', async () => {
      const router = new DataClient(h.url, h.token('alice', { scope: 'router' }));
      assert.equal((await router.download('real.txt')).data.toString(), 'real');
    });
  });

  describe('bodies and blocks', () => {
    it('refuses malformed JSON, a non-object, and missing fields with 400 invalid_request', async () => {
      for (const body of ['{"path": "a", ', 'null', '[1,2]', '"text"']) {
        const res = await alice.request('POST', '/v1/commit', { body, headers: { 'content-type': 'application/json' } });
        assert.equal(res.status, 400, body);
        assert.equal(((await res.json()) as ErrorBody).error.code, 'invalid_request', body);
      }
      const noBase = await alice.json<ErrorBody>('POST', '/v1/commit', { path: 'a', size: 0, blocks: [] });
      assert.equal(noBase.status, 400);
      const badHash = await alice.json<ErrorBody>('POST', '/v1/blocks/missing', { hashes: ['XYZ'] });
      assert.equal(badHash.status, 400);
      assert.equal((await alice.json('POST', '/v1/blocks/missing', {})).status, 400);
    });

    it('refuses a JSON body over 1 MB with 413', async () => {
      const res = await alice.json<ErrorBody>('POST', '/v1/blocks/missing', {
        hashes: Array.from({ length: 20_000 }, () => 'a'.repeat(64)),
      });
      assert.equal(res.status, 413);
      assert.equal(res.body.error.code, 'payload_too_large');
    });

    it('refuses a commit whose size does not match its blocks', async () => {
      const data = Buffer.from('0123456789');
      const hashes = blockHashesOf(data);
      assert.equal((await alice.putBlock(hashes[0], data)).status, 204);
      for (const size of [9, 11, BLOCK_SIZE + 1]) {
        const res = await alice.json<ErrorBody>('POST', '/v1/commit', { path: 'sized.txt', size, blocks: hashes, baseRev: null });
        assert.equal(res.status, 400, String(size));
        assert.equal(res.body.error.code, 'invalid_request');
      }
      assert.equal((await alice.download('sized.txt')).status, 404);
    });

    it('answers 409 block_missing listing blocks it never received', async () => {
      const hashes = [sha256(Buffer.from('never sent 1')), sha256(Buffer.from('never sent 2'))];
      const res = await alice.json<ErrorBody>('POST', '/v1/commit', {
        path: 'm.txt',
        size: BLOCK_SIZE + 20,
        blocks: hashes,
        baseRev: null,
      });
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'block_missing');
      assert.deepEqual(res.body.error.details, { missing: hashes });
    });

    it('refuses a block whose bytes do not match its name with 400 hash_mismatch, keeping nothing', async () => {
      const before = stagedFiles(h);
      const res = await alice.putBlock(sha256(Buffer.from('one thing')), Buffer.from('another thing'));
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as ErrorBody).error.code, 'hash_mismatch');
      assert.deepEqual(stagedFiles(h), before);
    });

    it('refuses a badly named block', async () => {
      const res = await alice.putBlock('ABC', Buffer.from('x'));
      assert.equal(res.status, 400);
    });

    it('refuses a block over BLOCK_SIZE with 413, by Content-Length and by counting a chunked body', async () => {
      const before = stagedFiles(h);
      const big = Buffer.alloc(BLOCK_SIZE + 1, 1);
      const declared = await alice.putBlock(sha256(big), big);
      assert.equal(declared.status, 413);
      const chunked = await rawChunkedPut(h, sha256(big), big);
      assert.equal(chunked, 413);
      assert.deepEqual(stagedFiles(h), before);
    });
  });

  describe('quota (10 MiB here)', () => {
    it('refuses a block upload when the user is full, storing nothing', async () => {
      const f = new DataClient(h.url, h.token('fiona'));
      assert.equal((await f.upload('full.bin', bytes(10 * 1024 * 1024, 3))).status, 200);
      const more = Buffer.from('one byte too many?');
      const res = await f.putBlock(sha256(more), more);
      assert.equal(res.status, 507);
      assert.equal(((await res.json()) as ErrorBody).error.code, 'quota_exceeded');
      assert.equal(fs.existsSync(path.join(h.root, String(SERVER_ID), '.staging', 'fiona', sha256(more))), false);
    });

    it('refuses block uploads that, uncommitted, would pass a quota with 507', async () => {
      const q = new DataClient(h.url, h.token('quentin'));
      const data = bytes(3 * BLOCK_SIZE, 4);
      const hashes = blockHashesOf(data);
      assert.equal((await q.putBlock(hashes[0], data.subarray(0, BLOCK_SIZE))).status, 204);
      assert.equal((await q.putBlock(hashes[1], data.subarray(BLOCK_SIZE, 2 * BLOCK_SIZE))).status, 204);
      const third = await q.putBlock(hashes[2], data.subarray(2 * BLOCK_SIZE));
      assert.equal(third.status, 507);
      const err = ((await third.json()) as ErrorBody).error;
      assert.equal(err.code, 'quota_exceeded');
      assert.match(err.message, /Quota exceeded/);
      assert.equal(fs.existsSync(path.join(h.root, String(SERVER_ID), '.staging', 'quentin', hashes[2])), false);
    });

    it('refuses a commit that would pass the quota with 507, writing nothing', async () => {
      const r = new DataClient(h.url, h.token('rita'));
      const data = bytes(6 * 1024 * 1024, 12);
      assert.equal((await r.upload('first.bin', data)).status, 200);
      // The same blocks again cost no upload, but a second copy would need 12 MiB of the 10.
      const second = await r.json<ErrorBody>('POST', '/v1/commit', {
        path: 'second.bin',
        size: data.length,
        blocks: blockHashesOf(data),
        baseRev: null,
      });
      assert.equal(second.status, 507);
      assert.equal(second.body.error.code, 'quota_exceeded');
      const copy = await r.json<ErrorBody>('POST', '/v1/files/copy', { from: 'first.bin', to: 'copy.bin' });
      assert.equal(copy.status, 507);
      assert.deepEqual(fs.readdirSync(path.join(h.root, String(SERVER_ID), 'rita')), ['first.bin']);
      assert.deepEqual(fs.readdirSync(path.join(h.root, String(SERVER_ID), '.tmp')), []);
      // Replacing the file counts only the difference, and a move never costs anything.
      const smaller = await r.upload('first.bin', bytes(5 * 1024 * 1024, 13), 1);
      assert.equal(smaller.status, 200);
      assert.equal((await r.json('POST', '/v1/files/move', { from: 'first.bin', to: 'moved.bin' })).status, 200);
    });
  });
});

function forge(token: string): string {
  const [payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const changed = Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url');
  return `${changed}.${token.split('.')[1]}`;
}

function stagedFiles(h: Harness): string[] {
  const dir = path.join(h.root, String(SERVER_ID), '.staging');
  return fs.readdirSync(dir).flatMap((u) => fs.readdirSync(path.join(dir, u)));
}

/** A PUT with a chunked body and no Content-Length, so the server must count bytes itself. */
function rawChunkedPut(h: Harness, hash: string, data: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${h.url}/v1/blocks/${hash}`,
      { method: 'PUT', headers: { authorization: `Bearer ${h.token('alice')}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    for (let off = 0; off < data.length; off += 256 * 1024) req.write(data.subarray(off, off + 256 * 1024));
    req.end();
  });
}
