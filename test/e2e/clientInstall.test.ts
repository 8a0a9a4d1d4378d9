// The clients as people get them: the daemon installed with npm from the website's own URL and syncing, and the .vsix as served.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { startStack, TEST_PASSWORD, type Stack } from '../support/stack';
import { buildPackages, DAEMON_FILE, EXTENSION_ROOT, packagesStatus, VSIX_FILE } from '../../extension/scripts/package';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { env, cwd, timeout: 90_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Names in a zip's central directory (a .vsix is a zip). */
function zipEntries(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'the .vsix is a zip (it has an end-of-central-directory record)');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'a central directory entry');
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

describe('clients installed from the website', function () {
  this.timeout(180_000);
  let stack: Stack;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let bin: string;
  let installedDir: string;

  before(async () => {
    if (!packagesStatus().upToDate) await buildPackages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-client-install-'));
    // Copies: another build replacing extension/dist mid-test must not change what this stack serves.
    const served = path.join(work, 'served');
    fs.mkdirSync(served);
    fs.copyFileSync(VSIX_FILE, path.join(served, 'mydropbox.vsix'));
    fs.copyFileSync(DAEMON_FILE, path.join(served, 'mydropbox-daemon.tgz'));
    stack = await startStack({ vsixPath: path.join(served, 'mydropbox.vsix'), daemonPath: path.join(served, 'mydropbox-daemon.tgz') });

    // A clean npm: no settings inherited from an `npm test` around us, its own cache, and a registry that does not
    // answer, so installing proves the package needs nothing from a registry.
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
    env = {
      ...clean,
      HOME: path.join(work, 'home'),
      PATH: `${path.join(work, 'prefix', 'bin')}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
      npm_config_cache: path.join(work, 'npm-cache'),
      npm_config_registry: 'http://127.0.0.1:9/',
      // Fail at once rather than retry the dead registry for a minute.
      npm_config_fetch_retries: '0',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      MYDROPBOX_CONFIG_DIR: path.join(work, 'config'),
    };
    fs.mkdirSync(env.HOME!);
    bin = path.join(work, 'prefix', 'bin', 'mydropbox');
    installedDir = path.join(work, 'prefix', 'lib', 'node_modules', 'mydropbox');
  });
  after(async () => {
    await stack?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('installs the daemon with npm install -g from the URL the client page shows, with nothing else to download', async () => {
    const page = await (await fetch(`${stack.url}/client`)).text();
    const line = /npm install -g (\S+)<\/code>/.exec(page);
    assert.ok(line, 'the client page shows the install line');
    const url = line[1];
    assert.equal(url, `${stack.url}/client/mydropbox-daemon.tgz`);

    const res = await fetch(url);
    assert.equal(res.status, 200);
    const tgz = Buffer.from(await res.arrayBuffer());
    assert.ok(tgz.equals(fs.readFileSync(DAEMON_FILE)), 'the website serves the built tarball byte for byte');
    assert.deepEqual([...tgz.subarray(0, 2)], [0x1f, 0x8b], 'gzip');
    assert.ok(tgz.length < 200_000, `the daemon package stays small (${tgz.length} bytes)`);

    const installed = await run('npm', ['install', '-g', '--prefix', path.join(work, 'prefix'), url], env, work);
    assert.equal(installed.code, 0, `npm install failed:\n${installed.stderr}\n${installed.stdout}`);
    assert.ok(fs.existsSync(bin), 'npm links the mydropbox command');

    const manifest = JSON.parse(fs.readFileSync(path.join(installedDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const extension = JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, 'package.json'), 'utf8')) as {
      version: string;
      license: string;
    };
    assert.equal(manifest.name, 'mydropbox');
    assert.equal(manifest.version, extension.version);
    assert.equal(manifest.license, extension.license);
    assert.deepEqual(manifest.bin, { mydropbox: 'cli.js' });
    assert.deepEqual(manifest.engines, { node: '>=20' });
    assert.ok(typeof manifest.description === 'string' && manifest.description.length > 20);
    assert.deepEqual(manifest.dependencies ?? {}, {});
    assert.deepEqual(
      fs.readdirSync(installedDir).sort(),
      ['LICENSE', 'README.md', 'cli.js', 'package.json'],
      'one bundled file, no node_modules',
    );
    assert.match(fs.readFileSync(path.join(installedDir, 'cli.js'), 'utf8').split('\n')[0], /^#!\/usr\/bin\/env node$/);
    assert.match(
      fs.readFileSync(path.join(installedDir, 'README.md'), 'utf8'),
      /npm install -g http:\/\/YOUR-SERVER\/client\/mydropbox-daemon\.tgz/,
    );
  });

  it('runs as the installed mydropbox: --help lists the exit codes, login, sync --once, and the server has the files', async () => {
    assert.ok(fs.existsSync(bin), 'installed by the previous test');
    const cwd = path.join(work, 'home');
    const help = await run(bin, ['--help'], env, cwd);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Exit codes:/);
    for (const code of [
      '0  ok',
      '1  wrong usage',
      '2  sign-in problem',
      '3  the server cannot be reached',
      '4  your quota is full',
      '5  anything else',
    ]) {
      assert.ok(help.stdout.includes(code), `--help documents exit code "${code}"`);
    }

    const username = `installed${process.pid}`;
    await stack.services.accounts.signUp({ username, email: `${username}@example.com`, password: TEST_PASSWORD });
    const wrong = await run(
      bin,
      ['login', '--server', stack.url, '--username', username],
      { ...env, MYDROPBOX_PASSWORD: 'not the password' },
      cwd,
    );
    assert.equal(wrong.code, 2, `a wrong password exits 2: ${wrong.stderr}`);
    const unreachable = await run(
      bin,
      ['login', '--server', 'http://127.0.0.1:9', '--username', username],
      { ...env, MYDROPBOX_PASSWORD: TEST_PASSWORD },
      cwd,
    );
    assert.equal(unreachable.code, 3, `an unreachable server exits 3: ${unreachable.stderr}`);
    const login = await run(
      bin,
      ['login', '--server', stack.url, '--username', username],
      { ...env, MYDROPBOX_PASSWORD: TEST_PASSWORD },
      cwd,
    );
    assert.equal(login.code, 0, login.stderr + login.stdout);

    const folder = path.join(work, 'synced');
    const files: Record<string, Buffer> = {
      'notes.txt': Buffer.from('synced by the installed daemon\n'),
      'photos/beach.bin': randomBytes(300_000),
      'deep/er/still/empty.txt': Buffer.alloc(0),
      'Ünïcödé – 東京.md': Buffer.from('# hello\n'),
    };
    for (const [name, data] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
      fs.writeFileSync(path.join(folder, name), data);
    }
    const sync = await run(bin, ['sync', '--once', folder], env, cwd);
    assert.equal(sync.code, 0, sync.stderr + sync.stdout);

    const listed = await stack.services.files.list(username);
    assert.deepEqual(
      listed.map((f) => f.path).sort(),
      Object.keys(files)
        .map((p) => p.normalize('NFC'))
        .sort(),
    );
    for (const entry of listed) {
      const data = files[Object.keys(files).find((p) => p.normalize('NFC') === entry.path)!];
      assert.equal(entry.size, data.length, entry.path);
      assert.equal(entry.contentHash, contentHashOfBlocks(blockHashesOf(data)), `${entry.path} arrived byte for byte`);
    }
    const status = await run(bin, ['status'], env, cwd);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(username));
  });

  it('serves the .vsix as built: a zip with the manifest and the bundled extension, without the daemon', async () => {
    const res = await fetch(`${stack.url}/client/mydropbox.vsix`);
    assert.equal(res.status, 200);
    const vsix = Buffer.from(await res.arrayBuffer());
    const names = zipEntries(vsix);
    assert.ok(names.includes('extension/package.json'), names.join(', '));
    assert.ok(names.includes('extension/out/extension.js'), names.join(', '));
    assert.ok(names.includes('extension.vsixmanifest'), names.join(', '));
    assert.deepEqual(
      names.filter((n) => /cli\.js|node_modules|\/src\/|\.ts$|\.map$/.test(n)),
      [],
      'no daemon, sources, source maps or node_modules in the .vsix',
    );
    assert.ok(vsix.length < 200_000, `the .vsix stays small (${vsix.length} bytes)`);
  });
});
