// WebDAV checked by tools we did not write (litmus, rclone) and across doors: WebDAV ↔ data-server API ↔ sync client.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { startStack, uploadFile, type Stack } from '../support/stack';
import { makeClient, readTree } from '../../extension/test/sync/client';
import { davRequest, davUser, type DavUser } from './davSupport';

const run = promisify(execFile);

/** Every file under `dir` as relative path → bytes. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.set(r, fs.readFileSync(path.join(d, e.name)));
    }
  };
  walk(dir, '');
  return out;
}

describe('WebDAV end to end', function () {
  this.timeout(120_000);
  let stack: Stack;
  let tmp: string;

  before(async () => {
    stack = await startStack();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-dav-e2e-'));
  });
  after(async () => {
    await stack?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('passes litmus basic, copymove, props and locks in full', async () => {
    const user = await davUser(stack);
    const cwd = fs.mkdtempSync(path.join(tmp, 'litmus-'));
    const { stdout } = await run('litmus', [`${stack.url}/dav/`, user.username, user.appPassword], {
      cwd,
      env: { ...process.env, TESTS: 'basic copymove props locks' },
      timeout: 100_000,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`litmus failed:\n${err.stdout}\n${err.stderr}`);
    });
    const summaries = stdout.split('\n').filter((l) => l.startsWith('<- summary'));
    if (process.env.DAV_FIGURES) console.log(summaries.join('\n'));
    for (const group of ['basic', 'copymove', 'props', 'locks']) {
      const line = summaries.find((l) => l.includes(`\`${group}'`));
      assert.ok(line, `no summary for ${group}:\n${stdout}`);
      assert.match(line, /: (\d+) passed, 0 failed\. 100\.0%$/, line);
    }
    assert.doesNotMatch(stdout, /SKIPPED|WARNING|FAIL/, stdout);
  });

  describe('with rclone', () => {
    let user: DavUser;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      user = await davUser(stack);
      const { stdout: obscured } = await run('rclone', ['obscure', user.appPassword]);
      env = {
        ...process.env,
        RCLONE_CONFIG: path.join(tmp, 'rclone.conf'),
        RCLONE_CONFIG_MDB_TYPE: 'webdav',
        RCLONE_CONFIG_MDB_URL: `${stack.url}/dav/`,
        RCLONE_CONFIG_MDB_VENDOR: 'other',
        RCLONE_CONFIG_MDB_USER: user.username,
        RCLONE_CONFIG_MDB_PASS: obscured.trim(),
      };
    });

    it('copies a folder of mixed files in and out byte for byte (binary, Unicode names, nested, empty, 9 MB)', async () => {
      const src = path.join(tmp, 'rclone-src');
      const files: Record<string, Buffer> = {
        'hello.txt': Buffer.from('hello, world\n'),
        'empty.dat': Buffer.alloc(0),
        'bin/random.bin': randomBytes(300_000),
        'bin/big.bin': randomBytes(9 * 1024 * 1024 + 17),
        'Ünïcödé/日本語 ファイル.txt': Buffer.from('こんにちは'),
        'deep/er/and/deeper/x y z.md': Buffer.from('# nested'),
        'emoji 🎉/#hash & percent%.txt': Buffer.from('odd names'),
      };
      for (const [rel, data] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
        fs.writeFileSync(path.join(src, rel), data);
      }
      await run('rclone', ['copy', src, 'mdb:incoming'], { env });
      const listed = (await stack.services.files.list(user.username)).map((f) => f.path).sort();
      assert.deepEqual(
        listed,
        Object.keys(files)
          .map((f) => `incoming/${f.normalize('NFC')}`)
          .sort(),
      );

      const back = path.join(tmp, 'rclone-back');
      await run('rclone', ['copy', 'mdb:incoming', back], { env });
      const got = filesOf(back);
      assert.deepEqual([...got.keys()].sort(), Object.keys(files).sort());
      for (const [rel, data] of Object.entries(files)) assert.ok(got.get(rel)!.equals(data), rel);
      const { stdout } = await run('rclone', ['check', src, 'mdb:incoming'], { env }).catch((e: { stdout: string; stderr: string }) => {
        throw new Error(`${e.stdout}\n${e.stderr}`);
      });
      assert.equal(stdout.trim(), '');
    });

    it('moves, renames and deletes through rclone, and an empty folder survives', async () => {
      await run('rclone', ['mkdir', 'mdb:work/empty'], { env });
      await run('rclone', ['copyto', 'mdb:incoming/hello.txt', 'mdb:work/hello copy.txt'], { env });
      await run('rclone', ['moveto', 'mdb:work/hello copy.txt', 'mdb:work/renamed.txt'], { env });
      await run('rclone', ['purge', 'mdb:incoming/bin'], { env });
      const { stdout } = await run('rclone', ['lsf', '-R', 'mdb:work'], { env });
      assert.deepEqual(stdout.trim().split('\n').sort(), ['empty/', 'renamed.txt']);
      const listed = (await stack.services.files.list(user.username)).map((f) => f.path);
      assert.ok(!listed.some((p) => p.startsWith('incoming/bin/')));
      assert.ok(listed.includes('work/renamed.txt'));
    });
  });

  describe('one set of files through every door', () => {
    it('a file PUT over WebDAV is listed and downloaded through the data-server API and by a sync client', async () => {
      const user = await davUser(stack);
      const data = randomBytes(5 * 1024 * 1024 + 3);
      assert.equal((await davRequest(stack.url, 'MKCOL', '/dav/From%20DAV/', { auth: user.authorization })).status, 201);
      assert.equal(
        (await davRequest(stack.url, 'PUT', '/dav/From%20DAV/report.bin', { auth: user.authorization, body: data })).status,
        201,
      );

      const res = await fetch(`${user.dataServerUrl}/v1/files/content?path=${encodeURIComponent('From DAV/report.bin')}`, {
        headers: { authorization: `Bearer ${user.accessToken}` },
      });
      assert.equal(res.status, 200);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(data));

      const client = makeClient(stack.url, user);
      try {
        await client.engine.syncNow();
        assert.ok(fs.readFileSync(client.file('From DAV/report.bin')).equals(data));
        // …and what the device writes comes back over WebDAV.
        client.write('From device/notes.txt', 'written on a synced device');
        await client.engine.syncNow();
        const listing = await davRequest(stack.url, 'PROPFIND', '/dav/From%20device/', {
          auth: user.authorization,
          headers: { depth: '1' },
        });
        assert.equal(listing.status, 207);
        assert.match(listing.text, /<D:href>\/dav\/From%20device\/notes\.txt<\/D:href>/);
        const got = await davRequest(stack.url, 'GET', '/dav/From%20device/notes.txt', { auth: user.authorization });
        assert.equal(got.text, 'written on a synced device');

        // A rename and a delete over WebDAV reach the device.
        const moved = await davRequest(stack.url, 'MOVE', '/dav/From%20DAV/report.bin', {
          auth: user.authorization,
          headers: { destination: `${stack.url}/dav/From%20device/report%20renamed.bin` },
        });
        assert.equal(moved.status, 201);
        assert.equal((await davRequest(stack.url, 'DELETE', '/dav/From%20device/notes.txt', { auth: user.authorization })).status, 204);
        await client.engine.syncNow();
        assert.deepEqual(Object.keys(readTree(client.folder)).sort(), ['From device/report renamed.bin']);
      } finally {
        await client.close();
      }
    });

    it('a file uploaded through the data-server API shows in PROPFIND with its content hash as ETag', async () => {
      const user = await davUser(stack);
      const entry = await uploadFile(user, 'api/uploaded.txt', Buffer.from('via the API'));
      const res = await davRequest(stack.url, 'PROPFIND', '/dav/api/', { auth: user.authorization, headers: { depth: '1' } });
      assert.equal(res.status, 207);
      assert.match(res.text, /<D:href>\/dav\/api\/uploaded\.txt<\/D:href>/);
      assert.ok(res.text.includes(`<D:getetag>"${entry.contentHash}"</D:getetag>`));
      assert.match(res.text, /<D:getcontentlength>11<\/D:getcontentlength>/);
    });
  });
});
