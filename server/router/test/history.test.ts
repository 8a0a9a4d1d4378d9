// Version history through every door of a real stack: a sync client's commit, WebDAV PUT, DELETE and MOVE, the website's delete, and restores from the website.
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { startStack, uploadFile, type Stack } from '../../../test/support/stack';
import { davRequest, davUser, type DavUser } from '../../../test/e2e/davSupport';

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('version history through every door (sync client, WebDAV, website)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let user: DavUser;

  before(async () => {
    stack = await startStack();
    user = await davUser(stack);
  });
  after(async () => stack?.close());

  const dav = (method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}) =>
    davRequest(stack.url, method, `/dav/${path}`, { ...opts, auth: user.authorization });
  const versions = (path: string) => stack.services.files.versions(user.username, path);
  const text = async (path: string) => (await dav('GET', path)).text;

  it('keeps what each door replaced, with the device that wrote it, and restores it byte-identical', async () => {
    await uploadFile(user, 'notes.txt', Buffer.from('from the laptop'));
    const lastChangedBy = async () => (await stack.services.files.list(user.username)).find((f) => f.path === 'notes.txt')?.device;
    assert.equal(await lastChangedBy(), 'Test daemon', 'the listing says which device changed a file last');
    assert.equal((await dav('PUT', 'notes.txt', { body: 'over WebDAV' })).status, 204);
    assert.equal(await lastChangedBy(), 'WebDAV');
    assert.equal((await stack.services.files.entry(user.username, 'notes.txt'))?.device, 'WebDAV', 'and so does its entry');
    let list = await versions('notes.txt');
    assert.deepEqual(
      list.versions.map((v) => [v.size, v.device, v.reason]),
      [[15, 'Test daemon', 'edit']],
    );
    const old = await stack.services.files.downloadVersion(user.username, list.versions[0]!.id);
    assert.equal((await readAll(old.body)).toString(), 'from the laptop');

    assert.equal((await dav('DELETE', 'notes.txt')).status, 204);
    const deleted = await stack.services.files.deleted(user.username, {});
    assert.deepEqual(
      deleted.deleted.map((d) => [d.path, d.device]),
      [['notes.txt', 'WebDAV']],
    );
    list = await versions('notes.txt');
    assert.equal(list.current, null);
    assert.deepEqual(
      list.versions.map((v) => [v.device, v.reason]),
      [
        ['WebDAV', 'delete'],
        ['Test daemon', 'edit'],
      ],
    );

    // The website restores the newest version; then an older one over it.
    const back = await stack.services.files.restore(user.username, 'notes.txt');
    assert.equal(back.restoredTo, 'notes.txt');
    assert.equal(await text('notes.txt'), 'over WebDAV');
    const oldest = (await versions('notes.txt')).versions.find((v) => v.device === 'Test daemon')!;
    await stack.services.files.restore(user.username, 'notes.txt', oldest.id);
    assert.equal(await text('notes.txt'), 'from the laptop');
    assert.equal((await versions('notes.txt')).versions[0]!.reason, 'restore');
  });

  it('keeps a file moved over by WebDAV and the one moved away, and what the website deletes', async () => {
    await uploadFile(user, 'm/a.txt', Buffer.from('a'));
    await uploadFile(user, 'm/b.txt', Buffer.from('b'));
    const moved = await dav('MOVE', 'm/a.txt', { headers: { destination: `${stack.url}/dav/m/b.txt`, overwrite: 'T' } });
    assert.equal(moved.status, 204);
    assert.deepEqual(
      (await versions('m/b.txt')).versions.map((v) => [v.size, v.reason]),
      [[1, 'edit']],
    );
    assert.deepEqual(
      (await versions('m/a.txt')).versions.map((v) => [v.reason]),
      [['move']],
    );
    await stack.services.files.delete(user.username, 'm/b.txt');
    const deleted = await stack.services.files.deleted(user.username, { under: 'm' });
    assert.deepEqual(
      deleted.deleted.map((d) => [d.path, d.device]),
      [['m/b.txt', 'Website']],
      'a.txt was moved, not deleted',
    );
    const restored = await stack.services.files.restoreFolder(user.username, 'm');
    assert.equal(restored.restored, 1);
    assert.equal(await text('m/b.txt'), 'a', 'b.txt held a’s bytes when it was deleted');
    // Its own history still has a.txt's content.
    const movedAway = (await versions('m/a.txt')).versions[0]!;
    assert.equal((await stack.services.files.restore(user.username, 'm/a.txt', movedAway.id)).restoredTo, 'm/a.txt');
    assert.equal(await text('m/a.txt'), 'a');
  });

  it('keeps every file of a folder WebDAV deletes, and brings the folder back', async () => {
    for (const name of ['one', 'two', 'three']) await uploadFile(user, `f/${name}.txt`, Buffer.from(name));
    assert.equal((await dav('DELETE', 'f/')).status, 204);
    assert.equal((await dav('GET', 'f/one.txt')).status, 404);
    const r = await stack.services.files.restoreFolder(user.username, 'f');
    assert.equal(r.restored, 3);
    for (const name of ['one', 'two', 'three']) assert.equal(await text(`f/${name}.txt`), name);
  });
});
