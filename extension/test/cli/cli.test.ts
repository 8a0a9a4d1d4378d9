// The `mydropbox` command against a real stack: login, status, sync --once, logout, and the documented exit codes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MyDropboxError } from '@mydropbox/shared';
import { startStack, TEST_PASSWORD, type Stack } from '../../../test/support/stack';
import { exitCodeFor, EXIT, runCli } from '../../src/cli/main';
import { runCliProcess } from './run';

describe('mydropbox command', function () {
  this.timeout(60_000);
  let stack: Stack;
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    stack = await startStack();
  });
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-cli-'));
    env = { MYDROPBOX_CONFIG_DIR: path.join(home, 'config'), HOME: home, MYDROPBOX_PASSWORD: TEST_PASSWORD };
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));
  after(async () => {
    await stack?.close();
  });

  it('prints help with the exit codes, and refuses bad usage with exit 1', async () => {
    const lines: string[] = [];
    const io = { out: (s: string) => lines.push(s), err: (s: string) => lines.push(s) };
    assert.equal(await runCli(['--help'], io, env), EXIT.ok);
    assert.match(
      lines.join('\n'),
      /Exit codes:[\s\S]*2 {2}sign-in problem[\s\S]*3 {2}the server cannot be reached[\s\S]*4 {2}your quota is full[\s\S]*6 {2}sync --once: [^\n]*not synced[\s\S]*7 {2}the sync folder is missing/,
    );
    assert.equal(await runCli([], io, env), EXIT.usage);
    assert.equal(await runCli(['frobnicate'], io, env), EXIT.usage);
    assert.equal(await runCli(['login', '--server', stack.url], io, env), EXIT.usage);
    assert.equal(await runCli(['login', '--server', 'ftp://x', '--username', 'a'], io, env), EXIT.usage);
    assert.equal(await runCli(['sync', '--bogus'], io, env), EXIT.usage);
    assert.equal(await runCli(['sync', 'a', 'b'], io, env), EXIT.usage);
  });

  it('prints the version of the extension manifest it was built from', async () => {
    const lines: string[] = [];
    const io = { out: (s: string) => lines.push(s), err: (s: string) => lines.push(s) };
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    assert.equal(await runCli(['--version'], io, env), EXIT.ok);
    assert.deepEqual(lines, [`mydropbox ${manifest.version}`]);
  });

  it('maps errors to the documented exit codes', () => {
    assert.equal(exitCodeFor(new MyDropboxError('bad_credentials', 'x')), EXIT.auth);
    assert.equal(exitCodeFor(new MyDropboxError('unauthorized', 'x')), EXIT.auth);
    assert.equal(exitCodeFor(new MyDropboxError('server_unavailable', 'x')), EXIT.unreachable);
    assert.equal(exitCodeFor(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), EXIT.unreachable);
    assert.equal(exitCodeFor(new MyDropboxError('quota_exceeded', 'x')), EXIT.quota);
    assert.equal(exitCodeFor(new MyDropboxError('insufficient_storage', 'x')), EXIT.quota);
    assert.equal(exitCodeFor(new MyDropboxError('folder_unavailable', 'x')), EXIT.folder);
    assert.equal(exitCodeFor(new Error('disk on fire')), EXIT.other);
  });

  it('logs in, keeps the token readable by the user alone, syncs once, shows status, logs out and revokes the token', async () => {
    const user = await stack.signUpAndSignIn();
    const login = await runCliProcess(['login', '--server', stack.url, '--username', user.username], env);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Signed in as/);
    const credFile = path.join(home, 'config', 'credentials.json');
    assert.equal(fs.statSync(credFile).mode & 0o777, 0o600);
    const token = (JSON.parse(fs.readFileSync(credFile, 'utf8')) as { deviceToken: string }).deviceToken;
    assert.ok(!fs.readFileSync(credFile, 'utf8').includes(TEST_PASSWORD), 'the password is never stored');

    // DIR defaults to ~/myDropbox and is created.
    fs.mkdirSync(path.join(home, 'myDropbox'));
    fs.writeFileSync(path.join(home, 'myDropbox', 'a.txt'), 'from the daemon');
    const once = await runCliProcess(['sync', '--once'], env);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /In sync: .*myDropbox \(1 files\)/);

    const status = await runCliProcess(['status'], env);
    assert.equal(status.code, 0);
    assert.match(status.stdout, new RegExp(`Signed in as ${user.username}`));
    assert.match(status.stdout, /myDropbox: Up to date, not running/);

    const other = path.join(home, 'elsewhere');
    const second = await runCliProcess(['sync', '--once', other], env);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(fs.readFileSync(path.join(other, 'a.txt'), 'utf8'), 'from the daemon');

    const logout = await runCliProcess(['logout'], env);
    assert.equal(logout.code, 0, logout.stderr);
    assert.equal(fs.existsSync(credFile), false);
    const res = await fetch(`${stack.apiUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401, 'the device token is revoked on the server');
    const after = await runCliProcess(['sync', '--once'], env);
    assert.equal(after.code, EXIT.auth);
    assert.match(after.stderr, /Not signed in/);
  });

  it('says "wrong username or password" with exit 2, and "cannot reach" with exit 3', async () => {
    const user = await stack.signUpAndSignIn();
    const wrong = await runCliProcess(['login', '--server', stack.url, '--username', user.username], {
      ...env,
      MYDROPBOX_PASSWORD: 'not it',
    });
    assert.equal(wrong.code, EXIT.auth);
    assert.match(wrong.stderr, /Wrong username or password/);
    const unknown = await runCliProcess(['login', '--server', stack.url, '--username', 'nobody-here'], env);
    assert.equal(unknown.code, EXIT.auth);

    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer();
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const down = await runCliProcess(['login', '--server', `http://127.0.0.1:${closed}`, '--username', user.username], env);
    assert.equal(down.code, EXIT.unreachable);
    assert.match(down.stderr, /Cannot reach the MyDropbox server/);

    // Signed in, then the server goes away: sync --once says so with exit 3.
    const login = await runCliProcess(['login', '--server', stack.url, '--username', user.username], env);
    assert.equal(login.code, 0);
    const credFile = path.join(home, 'config', 'credentials.json');
    const creds = JSON.parse(fs.readFileSync(credFile, 'utf8')) as { serverUrl: string };
    fs.writeFileSync(credFile, JSON.stringify({ ...creds, serverUrl: `http://127.0.0.1:${closed}` }), { mode: 0o600 });
    const sync = await runCliProcess(['sync', '--once', path.join(home, 'd')], env);
    assert.equal(sync.code, EXIT.unreachable, sync.stderr);
  });

  it('reads the password from a pipe when MYDROPBOX_PASSWORD is not set', async () => {
    const user = await stack.signUpAndSignIn();
    const login = await runCliProcess(
      ['login', '--server', stack.url, '--username', user.username],
      { ...env, MYDROPBOX_PASSWORD: undefined },
      `${TEST_PASSWORD}\n`,
    );
    assert.equal(login.code, 0, login.stderr);
  });
});
