// The pieces that keep the client from destroying or leaking data: state keys, the folder marker, parent checks, server entry checks, the not-synced list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { blockHashesOf, contentHashOfBlocks, MyDropboxError } from '@mydropbox/shared';
import { checkSyncedFolder, FOLDER_MARKER, openSyncedFolder } from '../../src/sync/folderMarker';
import { checkParents, serverEntryProblem, UnsafeLocalPathError } from '../../src/sync/pathSafety';
import { checkStateOwner, resetState, stateDirFor, stateKey, writeStateIdentity } from '../../src/sync/stateDir';
import { NotSyncedList } from '../../src/sync/notSynced';
import { deleteLocalFile, writeFileSafely } from '../../src/sync/transfer';
import { IgnoreRules } from '../../src/sync/ignore';
import { adoptLegacyState, daemonStateDir } from '../../src/cli/config';

const isUnavailable = (reason: string) => (err: unknown) =>
  MyDropboxError.is(err, 'folder_unavailable') && err.details?.reason === reason && /Nothing was deleted/.test(err.message);

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield Buffer.from(text);
}
const hashOf = (text: string) => contentHashOfBlocks(blockHashesOf(Buffer.from(text)));

describe('sync safety pieces', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-safety-unit-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  describe('state key', () => {
    it('differs for another account, server or folder, and ignores a trailing slash or a relative folder spelling', () => {
      const base = { serverUrl: 'http://h:1', username: 'ann', folder: '/home/ann/myDropbox' };
      const key = stateKey(base);
      assert.notEqual(stateKey({ ...base, username: 'bob' }), key);
      assert.notEqual(stateKey({ ...base, serverUrl: 'http://other:1' }), key);
      assert.notEqual(stateKey({ ...base, folder: '/home/ann/other' }), key);
      assert.equal(stateKey({ ...base, serverUrl: 'http://h:1/' }), key);
      assert.equal(stateKey({ ...base, folder: '/home/ann/x/../myDropbox' }), key);
      assert.equal(stateDirFor('/r', base), path.join('/r', key));
      // The extension's state directories from before this function keep their names.
      assert.equal(key, createHash('sha256').update('/home/ann/myDropbox\nhttp://h:1\nann').digest('hex').slice(0, 24));
    });

    it('refuses a state directory recorded for someone else', () => {
      const dir = path.join(root, 'state');
      writeStateIdentity(dir, { serverUrl: 'http://h:1', username: 'ann', folder: '/f' });
      assert.ok(checkStateOwner(dir, { serverUrl: 'http://h:1', folder: '/f' }));
      assert.ok(checkStateOwner(dir, { serverUrl: 'http://h:1', folder: '/f', username: 'ann' }));
      assert.throws(() => checkStateOwner(dir, { serverUrl: 'http://h:1', folder: '/f', username: 'bob' }), isUnavailable('otherAccount'));
      assert.throws(() => checkStateOwner(dir, { serverUrl: 'http://h:2', folder: '/f' }), isUnavailable('otherAccount'));
      assert.throws(() => checkStateOwner(dir, { serverUrl: 'http://h:1', folder: '/g' }), isUnavailable('otherAccount'));
    });

    it("moves the daemon's folder-only state only when its saved cursor proves the account and data server, else sets it aside", () => {
      const owner = { serverUrl: 'http://h:1', username: 'ann', folder: path.join(root, 'f') };
      const legacy = path.join(root, 'state', createHash('sha256').update(owner.folder).digest('hex').slice(0, 16));
      const makeLegacy = (sub: string) => {
        fs.mkdirSync(legacy, { recursive: true });
        const s = JSON.stringify(['http://data:7', sub, 1]);
        fs.writeFileSync(path.join(legacy, 'index.jsonl'), `{"p":"a","d":1}\n${JSON.stringify({ k: '12', s })}\n`);
      };
      makeLegacy('ann');
      assert.equal(adoptLegacyState(root, owner, 'http://data:7'), 'moved');
      assert.ok(fs.existsSync(path.join(daemonStateDir(root, owner), 'index.jsonl')));
      fs.rmSync(path.join(root, 'state'), { recursive: true });

      makeLegacy('bob');
      assert.equal(adoptLegacyState(root, owner, 'http://data:7'), 'setAside');
      assert.equal(fs.existsSync(daemonStateDir(root, owner)), false, 'another account’s index is never applied');
      makeLegacy('ann');
      assert.equal(adoptLegacyState(root, owner, undefined), 'setAside', 'offline: not provable');
      makeLegacy('ann');
      assert.equal(adoptLegacyState(root, owner, 'http://elsewhere:7'), 'setAside');
      assert.equal(adoptLegacyState(root, owner, 'http://data:7'), 'none');
      assert.equal(fs.readdirSync(path.join(root, 'state-set-aside')).length, 3);
    });

    it('reset forgets the index and the folder id', () => {
      const dir = path.join(root, 'state');
      writeStateIdentity(dir, { serverUrl: 'http://h:1', username: 'ann', folder: '/f', folderId: 'abc' });
      fs.writeFileSync(path.join(dir, 'index.jsonl'), '{}\n');
      resetState(dir);
      assert.equal(fs.existsSync(path.join(dir, 'index.jsonl')), false);
      assert.equal(checkStateOwner(dir, { serverUrl: 'http://h:1', folder: '/f' })?.folderId, undefined);
    });
  });

  describe('folder marker', () => {
    const never = () => false;

    it('is made with the folder at a first sync, and adopted when another sync made it already', () => {
      const folder = path.join(root, 'new', 'myDropbox');
      const id = openSyncedFolder(folder, { firstSync: true, knownId: undefined, holdsAnySyncedFile: never });
      assert.ok(fs.statSync(path.join(folder, FOLDER_MARKER)).isFile());
      assert.equal(openSyncedFolder(folder, { firstSync: true, knownId: 'old', holdsAnySyncedFile: never }), id);
      assert.equal(openSyncedFolder(folder, { firstSync: false, knownId: id, holdsAnySyncedFile: never }), id);
      checkSyncedFolder(folder, id);
      assert.ok(IgnoreRules.fromText('').ignores(FOLDER_MARKER), 'never synced');
      assert.ok(IgnoreRules.fromText(`!${FOLDER_MARKER}\n`).ignores(FOLDER_MARKER), 'whatever the rules say');
    });

    it('stops a sync with state when the folder or its marker is missing, or the marker is another folder’s', () => {
      const folder = path.join(root, 'myDropbox');
      assert.throws(
        () => openSyncedFolder(folder, { firstSync: false, knownId: 'x', holdsAnySyncedFile: never }),
        isUnavailable('folderMissing'),
      );
      assert.equal(fs.existsSync(folder), false, 'not made again');
      fs.mkdirSync(folder);
      assert.throws(
        () => openSyncedFolder(folder, { firstSync: false, knownId: 'x', holdsAnySyncedFile: () => true }),
        isUnavailable('markerMissing'),
      );
      assert.throws(() => checkSyncedFolder(folder, 'x'), isUnavailable('markerMissing'));
      const other = openSyncedFolder(folder, { firstSync: true, knownId: undefined, holdsAnySyncedFile: never });
      assert.throws(
        () => openSyncedFolder(folder, { firstSync: false, knownId: 'x', holdsAnySyncedFile: never }),
        isUnavailable('otherFolder'),
      );
      assert.throws(() => checkSyncedFolder(folder, 'x'), isUnavailable('otherFolder'));
      fs.writeFileSync(path.join(folder, FOLDER_MARKER), 'not json');
      assert.throws(() => checkSyncedFolder(folder, other), isUnavailable('otherFolder'));
      fs.rmSync(folder, { recursive: true });
      assert.throws(() => checkSyncedFolder(folder, other), isUnavailable('folderMissing'));
    });

    it('marks the folder of state from before markers only when it holds a file that state synced', () => {
      const folder = path.join(root, 'myDropbox');
      fs.mkdirSync(folder);
      assert.throws(
        () => openSyncedFolder(folder, { firstSync: false, knownId: undefined, holdsAnySyncedFile: never }),
        isUnavailable('markerMissing'),
      );
      const id = openSyncedFolder(folder, { firstSync: false, knownId: undefined, holdsAnySyncedFile: () => true });
      checkSyncedFolder(folder, id);
    });
  });

  describe('never through a link', () => {
    it('checks every folder above a path with lstat, making missing ones only when asked', async () => {
      const folder = path.join(root, 'f');
      const outside = path.join(root, 'outside');
      fs.mkdirSync(path.join(folder, 'real'), { recursive: true });
      fs.mkdirSync(outside);
      fs.symlinkSync(outside, path.join(folder, 'link'));
      fs.symlinkSync(outside, path.join(folder, 'real', 'deeper'));
      fs.writeFileSync(path.join(folder, 'file'), '');
      assert.equal(await checkParents(folder, 'real/x.txt', false), true);
      assert.equal(await checkParents(folder, 'new/er/x.txt', false), false);
      assert.equal(fs.existsSync(path.join(folder, 'new')), false);
      assert.equal(await checkParents(folder, 'new/er/x.txt', true), true);
      assert.ok(fs.statSync(path.join(folder, 'new', 'er')).isDirectory());
      await assert.rejects(
        checkParents(folder, 'link/x.txt', true),
        (e: UnsafeLocalPathError) => e.at === 'link' && e.what === 'a symbolic link',
      );
      await assert.rejects(checkParents(folder, 'real/deeper/a/b.txt', true), (e: UnsafeLocalPathError) => e.at === 'real/deeper');
      await assert.rejects(checkParents(folder, 'file/x.txt', true), (e: UnsafeLocalPathError) => e.what === 'not a folder');
      assert.deepEqual(fs.readdirSync(outside), []);
    });

    it('refuses a download or a delete below a link made after the plan, and writes nothing there', async () => {
      const folder = path.join(root, 'f');
      const outside = path.join(root, 'outside');
      fs.mkdirSync(folder);
      fs.mkdirSync(outside);
      fs.writeFileSync(path.join(outside, 'victim.txt'), 'keep me');
      fs.symlinkSync(outside, path.join(folder, 'sub'));
      await assert.rejects(
        writeFileSafely(folder, 'sub/new.txt', bytes('evil'), { contentHash: hashOf('evil') }, undefined),
        UnsafeLocalPathError,
      );
      const st = fs.statSync(path.join(outside, 'victim.txt'));
      await assert.rejects(
        deleteLocalFile(folder, 'sub/victim.txt', { size: st.size, mtime: st.mtimeMs, ino: st.ino }),
        UnsafeLocalPathError,
      );
      assert.deepEqual(fs.readdirSync(outside), ['victim.txt']);
      assert.equal(fs.readFileSync(path.join(outside, 'victim.txt'), 'utf8'), 'keep me');
    });

    it('stops reading a download that runs past the size it was announced with', async () => {
      const folder = path.join(root, 'f');
      fs.mkdirSync(folder);
      async function* endless(): AsyncIterable<Uint8Array> {
        for (;;) yield Buffer.alloc(64 * 1024);
      }
      await assert.rejects(writeFileSafely(folder, 'big.bin', endless(), { contentHash: hashOf('x'), size: 1 }, undefined), (e: unknown) =>
        MyDropboxError.is(e, 'hash_mismatch'),
      );
      assert.deepEqual(fs.readdirSync(folder), [], 'the temp file is gone');
    });
  });

  describe('server entries', () => {
    const good = { path: 'a/b.txt', size: 3, contentHash: hashOf('abc'), rev: 2, modifiedAt: 1 };
    it('believes a well-formed entry and says in words what is wrong with each bad one', () => {
      assert.equal(serverEntryProblem(good), undefined);
      assert.equal(serverEntryProblem({ path: 'x', rev: 3 }, true), undefined, 'a deletion needs a path and a revision');
      const bad: [unknown, RegExp][] = [
        [{ ...good, path: '../x' }, /unsafe path.*"\.\."/],
        [{ ...good, path: '/etc/passwd' }, /unsafe path.*relative/],
        [{ ...good, path: 'a\u0000b' }, /control character/],
        [{ ...good, path: 'C:/x' }, /drive letter/],
        [{ ...good, path: 'a\\b' }, /backslash/],
        [{ ...good, path: 'a//b' }, /empty folder name/],
        [{ ...good, path: 'e\u0301' }, /normal \(NFC\) form/],
        [{ ...good, path: 'x'.repeat(300) }, /longer than 255/],
        [{ ...good, path: 7 }, /not text/],
        [{ ...good, size: -1 }, /size/],
        [{ ...good, size: 1.5 }, /size/],
        [{ ...good, contentHash: 'zz' }, /content hash/],
        [{ ...good, rev: 0 }, /revision/],
        [{ ...good, modifiedAt: 'yesterday' }, /time/],
        [null, /not a file entry/],
        ['a.txt', /not a file entry/],
      ];
      for (const [entry, why] of bad) assert.match(serverEntryProblem(entry) ?? 'believed', why, JSON.stringify(entry));
    });
  });

  it('the not-synced list blocks a link, special or unreadable folder and everything below it, and refused writes', () => {
    const list = new NotSyncedList();
    list.local.set('link', { path: 'link', reason: 'symlink', message: '' });
    list.local.set('locked', { path: 'locked', reason: 'unreadable', message: '' });
    list.local.set('bad\u0001name', { path: 'bad\u0001name', reason: 'badName', message: '' });
    list.writes.set('w.txt', { path: 'w.txt', reason: 'linkInPath', message: '' });
    for (const p of ['link', 'link/a', 'link/a/b', 'locked/x', 'w.txt', 'bad\u0001name']) assert.ok(list.blocks(p), p);
    for (const p of ['linked', 'links/a', 'other', 'bad\u0001name/x', 'w.txt/x']) assert.ok(!list.blocks(p), p);
    assert.ok(list.changedSinceLastAsked());
    assert.ok(!list.changedSinceLastAsked());
    assert.equal(list.size, 4);
    // A write refused below a link before the scan saw the link is said by the link's own item.
    list.writes.set('link/authorized_keys', { path: 'link/authorized_keys', reason: 'linkInPath', message: '' });
    assert.deepEqual(
      list.items().map((i) => i.path),
      ['bad\u0001name', 'link', 'locked', 'w.txt'],
    );
    assert.equal(list.size, 4);
    assert.ok(!list.changedSinceLastAsked(), 'the same list as before');
  });
});
