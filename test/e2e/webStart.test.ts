// `npm start`'s launcher for real: two data servers and the website as child processes, one address, clean Ctrl-C.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { uploadFile } from '../support/stack';

const REPO_ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Launched {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function launch(env: NodeJS.ProcessEnv): Launched {
  const child = spawn(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', 'scripts/start.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(what: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start launcher', function () {
  this.timeout(90_000);
  let home: string;
  let running: Launched | undefined;

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-start-'));
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    running = undefined;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('starts two data servers and the website on the embedded database, answers on one address, and stops cleanly on Ctrl-C', async () => {
    const [web, data1, data2] = [await freePort(), await freePort(), await freePort()];
    // A home left world-readable by an older version, with a log in it.
    fs.chmodSync(home, 0o755);
    fs.mkdirSync(path.join(home, 'logs'), { mode: 0o755 });
    fs.writeFileSync(path.join(home, 'logs', 'old.log'), 'old\n', { mode: 0o644 });
    const started = Date.now();
    running = launch({ PORT: String(web), DATA1_PORT: String(data1), DATA2_PORT: String(data2), MYDROPBOX_HOME: home });
    await waitFor(
      () => /MyDropbox is running at/.test(running!.output()) || running!.child.exitCode !== null,
      60_000,
      () => running!.output(),
    );
    const startSeconds = (Date.now() - started) / 1000;
    const url = /MyDropbox is running at (\S+)/.exec(running.output())?.[1];
    assert.equal(url, `http://127.0.0.1:${web}`, running.output());
    assert.match(running.output(), new RegExp(`http://127.0.0.1:${data1}.*http://127.0.0.1:${data2}`));

    const health = (await (await fetch(`${url}/healthz`)).json()) as { dataServers: { id: number; healthy: boolean }[] };
    assert.deepEqual(
      health.dataServers.map((s) => [s.id, s.healthy]),
      [
        [1, true],
        [2, true],
      ],
    );
    const discovery = (await (await fetch(`${url}/.well-known/mydropbox.json`)).json()) as { apiUrl: string };
    assert.equal(discovery.apiUrl, `${url}/api/v1`);
    const signup = await fetch(`${discovery.apiUrl}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'starter', email: 'starter@example.com', password: 'a fine long password' }),
    });
    assert.ok(signup.ok, await signup.clone().text());
    assert.equal(((await signup.json()) as { dataServer: { url: string } }).dataServer.url, `http://127.0.0.1:${data1}`);
    const page = await fetch(`${url}/login`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<label for="username">Username<\/label>/);

    // All state under MYDROPBOX_HOME.
    for (const f of ['keys/router-ed25519.pem', 'keys/router-ed25519.pub.pem', 'keys/session-secret', 'central.sqlite']) {
      assert.ok(fs.existsSync(path.join(home, f)), `${f} under MYDROPBOX_HOME`);
    }
    // A file stored on a data server, so its folders and files exist too.
    const session = await fetch(`${discovery.apiUrl}/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'starter', password: 'a fine long password' }),
    });
    const { deviceToken } = (await session.json()) as { deviceToken: string };
    const access = (await (
      await fetch(`${discovery.apiUrl}/access-tokens`, { method: 'POST', headers: { authorization: `Bearer ${deviceToken}` } })
    ).json()) as {
      accessToken: string;
      dataServer: { url: string };
    };
    await uploadFile({ accessToken: access.accessToken, dataServerUrl: access.dataServer.url }, 'private/notes.txt', Buffer.from('mine'));
    // Nothing is readable by other users of the machine (13.9): the home is 0700, and every file and folder made is 0600/0700.
    assert.equal(fs.statSync(home).mode & 0o777, 0o700, 'MYDROPBOX_HOME');
    const open: string[] = [];
    let seen = 0;
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (full === path.join(home, 'logs', 'old.log') || full === path.join(home, 'logs')) continue;
        seen++;
        if ((fs.lstatSync(full).mode & 0o077) !== 0)
          open.push(`${path.relative(home, full)} ${(fs.lstatSync(full).mode & 0o777).toString(8)}`);
        if (entry.isDirectory()) walk(full);
      }
    };
    walk(home);
    for (const log of fs.readdirSync(path.join(home, 'logs')).filter((f) => f !== 'old.log')) {
      if ((fs.statSync(path.join(home, 'logs', log)).mode & 0o077) !== 0) open.push(`logs/${log}`);
    }
    assert.ok(seen > 10 && fs.existsSync(path.join(home, 'data-1')), `walked ${seen} entries`);
    assert.deepEqual(open, [], 'readable by others');

    running.child.kill('SIGINT');
    assert.equal(await running.exited, 0, running.output());
    for (const port of [web, data1, data2]) assert.equal(await isListening(port), false, `port ${port} still answers after Ctrl-C`);
    console.log(`      (ready in ${startSeconds.toFixed(1)} s)`);
  });

  it('names the variable to change when a port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      running = launch({
        PORT: String(await freePort()),
        DATA1_PORT: String(await freePort()),
        DATA2_PORT: String(port),
        MYDROPBOX_HOME: home,
      });
      assert.equal(await running.exited, 1);
      assert.match(running.output(), new RegExp(`Port ${port} on 127.0.0.1 is already in use \\(DATA2_PORT\\)`));
    } finally {
      taken.close();
    }
  });
});
