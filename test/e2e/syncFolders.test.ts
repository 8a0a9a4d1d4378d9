// Folders are data: an empty folder made on a device, on the website or over WebDAV appears everywhere, and a folder removed anywhere goes everywhere (11.5).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { StackUser } from '../support/stack';
import { eventually, syncClientHooks, type TestClient } from '../../extension/test/sync/client';

describe('sync engine: empty folders both ways', function () {
  this.timeout(60_000);
  let user: StackUser;
  const newClient = syncClientHooks({ stack: () => undefined, user: (u) => (user = u) });
  // The change feed carries folder changes; the folder poll (for servers that do not) is kept out of the way.
  const client = () => newClient({ folderPollMs: 600_000 });

  /** The server's explicit folders, asked as the website asks (its own HTTP call, not the client's code). */
  const serverFolders = async (): Promise<string[]> => {
    const res = await fetch(`${user.dataServerUrl}/v1/folders`, { headers: { authorization: `Bearer ${user.accessToken}` } });
    assert.equal(res.status, 200);
    return ((await res.json()) as { folders: { path: string }[] }).folders.map((f) => f.path).sort();
  };
  /** A folder made or removed the way the website and WebDAV do it (the data server's folder calls). */
  const onServer = async (method: 'POST' | 'DELETE', folder: string) => {
    const res = await fetch(
      method === 'POST' ? `${user.dataServerUrl}/v1/folders` : `${user.dataServerUrl}/v1/folders?path=${encodeURIComponent(folder)}`,
      {
        method,
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify({ path: folder }) } : {}),
      },
    );
    assert.ok(res.ok, `${method} ${folder}: ${res.status} ${await res.text()}`);
  };
  /** Every folder in a device's folder (relative, sorted), empty or not. */
  const foldersOf = (c: TestClient): string[] =>
    (fs.readdirSync(c.folder, { recursive: true, withFileTypes: true }) as fs.Dirent[])
      .filter((e) => e.isDirectory())
      .map((e) => path.relative(c.folder, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();

  it('an empty folder made on a device reaches the server and the other device, and its removal too', async () => {
    const a = client();
    const b = client();
    fs.mkdirSync(a.file('projects/empty/deeper'), { recursive: true });
    fs.mkdirSync(a.file('also-empty'));
    await a.engine.syncNow();
    assert.deepEqual(await serverFolders(), ['also-empty', 'projects', 'projects/empty', 'projects/empty/deeper']);
    await b.engine.syncNow();
    assert.deepEqual(foldersOf(b), ['also-empty', 'projects', 'projects/empty', 'projects/empty/deeper']);

    fs.rmSync(a.file('projects/empty'), { recursive: true });
    await a.engine.syncNow();
    assert.deepEqual(await serverFolders(), ['also-empty', 'projects']);
    await b.engine.syncNow();
    assert.deepEqual(foldersOf(b), ['also-empty', 'projects']);
  });

  it('a folder made or removed on the website or over WebDAV appears on a running device and goes from it', async () => {
    const a = client();
    a.write('has-files/a.txt', 'a');
    await a.engine.start();
    await eventually(() => assert.equal(a.engine.status.kind, 'upToDate'));
    await onServer('POST', 'from-website/inside');
    await eventually(() => assert.deepEqual(foldersOf(a), ['from-website', 'from-website/inside', 'has-files']), 10_000, 50);
    await onServer('DELETE', 'from-website');
    await eventually(() => assert.deepEqual(foldersOf(a), ['has-files']), 10_000, 50);
    await eventually(() => assert.equal(a.engine.status.kind, 'upToDate'));
  });

  it('a folder emptied of its files but kept stays a folder everywhere; one removed with its files goes everywhere', async () => {
    const a = client();
    const b = client();
    a.write('kept/one.txt', '1');
    a.write('kept/two.txt', '2');
    a.write('gone/three.txt', '3');
    await a.engine.syncNow();
    await b.engine.syncNow();
    fs.rmSync(a.file('kept/one.txt'));
    fs.rmSync(a.file('kept/two.txt'));
    fs.rmSync(a.file('gone'), { recursive: true });
    await a.engine.syncNow();
    assert.deepEqual(await serverFolders(), ['kept']);
    await b.engine.syncNow();
    assert.deepEqual(foldersOf(b), ['kept']);
    assert.deepEqual(b.tree(), {});
    // And from the other side: a folder emptied on the website (its last file deleted there) but made on purpose stays.
    await onServer('POST', 'on-purpose');
    b.write('on-purpose/file.txt', 'f');
    await b.engine.syncNow();
    await a.engine.syncNow();
    assert.deepEqual(foldersOf(a), ['kept', 'on-purpose']);
    fs.rmSync(b.file('on-purpose/file.txt'));
    await b.engine.syncNow();
    await a.engine.syncNow();
    assert.deepEqual(foldersOf(a), ['kept', 'on-purpose']);
    assert.deepEqual(a.tree(), {});
  });

  it('a folder removed on a device while a file was added to it elsewhere keeps the file (and so the folder)', async () => {
    const a = client();
    const b = client();
    fs.mkdirSync(a.file('shared'));
    await a.engine.syncNow();
    await b.engine.syncNow();
    fs.rmdirSync(a.file('shared'));
    b.write('shared/new.txt', 'added meanwhile');
    await b.engine.syncNow();
    await a.engine.syncNow();
    assert.equal(a.read('shared/new.txt'), 'added meanwhile');
    await b.engine.syncNow();
    assert.equal(b.read('shared/new.txt'), 'added meanwhile');
  });
});
