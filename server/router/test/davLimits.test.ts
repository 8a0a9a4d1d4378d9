// WebDAV's stores are bounded (13.4): dead property size, count and total per account; lock owners and locks per account.
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { startStack, uploadFile, type Stack } from '../../../test/support/stack';
import { DATABASE_KINDS } from '../../../test/support/databases';
import { davRequest, davUser, type DavUser } from '../../../test/e2e/davSupport';
import { createDavHandler, LockManager, DEFAULT_DAV_LIMITS, type DavLimits } from '@mydropbox/router';

const LIMITS: DavLimits = { ...DEFAULT_DAV_LIMITS, propertyBytesPerAccount: 20_000, locksPerAccount: 3, locksInTotal: 5 };

function proppatch(props: Record<string, string>): string {
  const sets = Object.entries(props)
    .map(([name, value]) => `<Z:${name}>${value}</Z:${name}>`)
    .join('');
  return `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:test"><D:set><D:prop>${sets}</D:prop></D:set></D:propertyupdate>`;
}

const lockBody = (owner: string) =>
  `<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>${owner}</D:owner></D:lockinfo>`;

for (const kind of DATABASE_KINDS)
  describe(`WebDAV limits (13.4) on ${kind}`, function () {
    this.timeout(60_000);
    let stack: Stack;
    let db: Knex;
    let alice: DavUser;
    let bob: DavUser;

    before(async () => {
      stack = await startStack({
        databaseKind: kind,
        dav: (deps) => {
          db = deps.db;
          return createDavHandler({ ...deps, limits: LIMITS, locks: new LockManager(Date.now, LIMITS) });
        },
      });
      alice = await davUser(stack);
      bob = await davUser(stack);
      for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt']) {
        await uploadFile(alice, name, Buffer.from(name));
        await uploadFile(bob, name, Buffer.from(name));
      }
    });
    after(async () => stack?.close());

    const as = (user: DavUser, method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}) =>
      davRequest(stack.url, method, path, { ...opts, auth: user.authorization });
    const storedBytes = async (user: DavUser) =>
      Number(
        (
          await db('DavProperties')
            .where({ Owner: user.username })
            .sum({ n: db.raw('LENGTH(??)', ['Value']) })
        )[0].n ?? 0,
      );

    it('refuses a dead property value over the size limit with 507, storing nothing', async () => {
      const res = await as(alice, 'PROPPATCH', '/dav/a.txt', {
        body: proppatch({ big: 'x'.repeat(DEFAULT_DAV_LIMITS.propertyValueBytes + 1), ok: 'y' }),
      });
      assert.equal(res.status, 207);
      assert.match(res.text, /<D:status>HTTP\/1.1 507 Insufficient Storage<\/D:status>/);
      assert.match(res.text, /larger than/);
      assert.equal(await storedBytes(alice), 0);
    });

    it('refuses more properties on one resource than the limit, all or nothing', async () => {
      const many = Object.fromEntries(Array.from({ length: DEFAULT_DAV_LIMITS.propertiesPerResource + 1 }, (_, i) => [`p${i}`, 'v']));
      const res = await as(alice, 'PROPPATCH', '/dav/b.txt', { body: proppatch(many) });
      assert.equal(res.status, 207);
      assert.match(res.text, /507 Insufficient Storage/);
      assert.match(res.text, /at most 100 properties/);
      assert.equal(await storedBytes(alice), 0);
    });

    it('bounds the total per account, across resources and COPY, and deleting frees room', async () => {
      const chunk = 'z'.repeat(6_000);
      for (const name of ['a.txt', 'b.txt', 'c.txt']) {
        const res = await as(alice, 'PROPPATCH', `/dav/${name}`, { body: proppatch({ note: chunk }) });
        assert.match(res.text, /200 OK/, name);
      }
      const over = await as(alice, 'PROPPATCH', '/dav/d.txt', { body: proppatch({ note: chunk }) });
      assert.match(over.text, /507 Insufficient Storage/);
      assert.match(over.text, /account/);
      // COPY would duplicate the properties: refused before anything is copied.
      const copy = await as(alice, 'COPY', '/dav/a.txt', { headers: { destination: `${stack.url}/dav/copy.txt` } });
      assert.equal(copy.status, 507);
      assert.equal((await as(alice, 'PROPFIND', '/dav/copy.txt', { headers: { depth: '0' } })).status, 404);
      assert.ok((await storedBytes(alice)) <= LIMITS.propertyBytesPerAccount);
      // Another account has its own allowance.
      assert.match((await as(bob, 'PROPPATCH', '/dav/a.txt', { body: proppatch({ note: chunk }) })).text, /200 OK/);
      assert.equal((await as(alice, 'DELETE', '/dav/c.txt')).status, 204);
      assert.match((await as(alice, 'PROPPATCH', '/dav/d.txt', { body: proppatch({ note: chunk }) })).text, /200 OK/);
    });

    it('refuses a lock owner over the limit, and more locks than allowed per account and in total', async () => {
      const big = await as(alice, 'LOCK', '/dav/e.txt', {
        body: lockBody(`<D:href>${'o'.repeat(DEFAULT_DAV_LIMITS.lockOwnerBytes)}</D:href>`),
      });
      assert.equal(big.status, 400);
      assert.match(big.text, /owner/);
      const tokens: string[] = [];
      for (const name of ['a.txt', 'b.txt', 'e.txt']) {
        const res = await as(alice, 'LOCK', `/dav/${name}`, { body: lockBody('alice') });
        assert.equal(res.status, 200, name);
        tokens.push(String(res.headers['lock-token']));
      }
      const fourth = await as(alice, 'LOCK', '/dav/d.txt', { body: lockBody('alice') });
      assert.equal(fourth.status, 503);
      assert.match(fourth.text, /Too many locks/);
      // Two of bob's fit in the total of five; the third does not.
      assert.equal((await as(bob, 'LOCK', '/dav/a.txt', { body: lockBody('bob') })).status, 200);
      assert.equal((await as(bob, 'LOCK', '/dav/b.txt', { body: lockBody('bob') })).status, 200);
      assert.equal((await as(bob, 'LOCK', '/dav/c.txt', { body: lockBody('bob') })).status, 503);
      assert.equal((await as(alice, 'UNLOCK', '/dav/a.txt', { headers: { 'lock-token': tokens[0] } })).status, 204);
      assert.equal((await as(bob, 'LOCK', '/dav/c.txt', { body: lockBody('bob') })).status, 200);
    });
  });
