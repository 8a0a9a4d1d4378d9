// The `mydropbox` daemon killed with SIGKILL at seeded moments, again and again, while it uploads (small files in
// batches, big files in upload sessions), downloads, deletes and commits, with people changing files on both sides
// between the kills. After a last `sync --once` the folder equals the server byte for byte and every path holds the
// content last written to it: nothing lost, nothing doubled, no conflicted copy (no path was changed on two sides).
//
// Replay a run with DAEMON_KILL_SEED=<the printed seed>; DAEMON_KILLS=n kills more often (default 12).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, randomInt } from 'node:crypto';
import { blockHashesOf, contentHashOfBlocks } from '@mydropbox/shared';
import { uploadFile, type Stack } from '../support/stack';
import { daemonHomeHooks, type DaemonHome } from '../support/daemonHome';
import { rng } from '../support/seeded';
import { runCliProcess, startCli } from '../../extension/test/cli/run';
import { eventually, readTree } from '../../extension/test/sync/client';
import { deviceTokenSession } from '../../extension/src/sync';
import { RemoteClient } from '../../extension/src/sync/remote';

const SEED = process.env.DAEMON_KILL_SEED ? Number(process.env.DAEMON_KILL_SEED) : randomInt(2 ** 31);
const KILLS = Number(process.env.DAEMON_KILLS ?? 12);

function hashOf(data: Buffer): string {
  return contentHashOfBlocks(blockHashesOf(data));
}

describe('mydropbox daemon killed with SIGKILL at seeded moments', function () {
  this.timeout(Math.max(300_000, KILLS * 20_000));
  let stack: Stack;
  let daemonHome: DaemonHome;
  daemonHomeHooks('mdb-daemon-kills-', { stack: (s) => (stack = s), home: (h) => (daemonHome = h) });

  it(`ends identical to the server, every path at its last content, after ${KILLS} kills (seed ${SEED})`, async () => {
    console.log(`      DAEMON_KILL_SEED=${SEED}`);
    const r = rng(SEED);
    const { env, folder } = daemonHome;
    const user = await stack.signUpAndSignIn();
    const login = await runCliProcess(['login', '--server', stack.url, '--username', user.username], env);
    assert.equal(login.code, 0, login.stderr);
    const remote = new RemoteClient(deviceTokenSession(stack.url, user.deviceToken));

    // What each path must hold in the end (its content hash); a deleted path is absent. Paths under
    // local/ change only here, paths under remote/ only on the server, so no change meets another.
    const expected = new Map<string, string>();
    // Seeded bytes, fast even for the big files: AES-CTR over zeros under a key the seed picks.
    const content = (size: number) => {
      const key = Buffer.from(Array.from({ length: 16 }, () => r.int(256)));
      return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
    };
    const writeLocal = (rel: string, data: Buffer) => {
      fs.mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
      fs.writeFileSync(path.join(folder, rel), data);
      expected.set(rel, hashOf(data));
    };
    const remoteRevs = new Map<string, number>();
    const writeRemote = async (rel: string, data: Buffer) => {
      remoteRevs.set(rel, (await uploadFile(user, rel, data, remoteRevs.get(rel) ?? null)).rev);
      expected.set(rel, hashOf(data));
    };
    const local = () => [...expected.keys()].filter((p) => p.startsWith('local/'));
    const remoteOnes = () => [...expected.keys()].filter((p) => p.startsWith('remote/'));

    for (let i = 0; i < 200; i++) writeLocal(`local/d${i % 7}/f${i}.bin`, content(1 + r.int(48 * 1024)));
    // Upload sessions and in-place patches: big enough to be on their way when a kill comes.
    for (let i = 0; i < 2; i++) writeLocal(`local/big${i}.bin`, content(12 * 1024 * 1024 + r.int(1024 * 1024)));
    for (let i = 0; i < 30; i++) await writeRemote(`remote/r${i}.txt`, content(1 + r.int(20 * 1024)));

    let pendingAtKill = 0;
    for (let k = 0; k < KILLS; k++) {
      const daemon = startCli(['sync'], env);
      // The moment is a seeded count of the daemon's progress lines (one each time the number of files
      // left changes) plus a few milliseconds, so the kills land among uploads, commits, downloads and
      // deletes whatever the machine's speed, not while it loads or after it is done.
      const lines = 1 + r.int(6);
      await eventually(
        () => {
          const out = daemon.output().stdout;
          assert.ok((out.match(/Syncing \d+ files?/g) ?? []).length >= lines || /Up to date/.test(out));
        },
        30_000,
        5,
      ).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, r.int(100)));
      daemon.child.kill('SIGKILL');
      const out = await daemon.done;
      if (process.env.DAEMON_KILL_TRACE) console.log(`--- kill ${k}\n${out.stdout}${out.stderr}`);
      const listed = new Map((await remote.list()).files.map((f) => [f.path, f.contentHash]));
      if ([...expected].some(([p, h]) => listed.get(p) !== h) || [...listed.keys()].some((p) => !expected.has(p))) pendingAtKill++;

      // Between the kills, people go on: on this device, on the server.
      for (let n = 10 + r.int(40); n > 0; n--) {
        const what = r.int(6);
        if (process.env.DAEMON_KILL_TRACE) console.log(`round ${k}: action ${what}`);
        if (what === 0) writeLocal(`local/new${k}-${n}.txt`, content(1 + r.int(8 * 1024)));
        else if (what === 1) writeLocal(r.pick(local().filter((p) => !p.includes('big'))), content(1 + r.int(32 * 1024)));
        else if (what === 2) {
          const victim = r.pick(local().filter((p) => !p.includes('big')));
          fs.rmSync(path.join(folder, victim));
          expected.delete(victim);
        } else if (what === 3) await writeRemote(`remote/new${k}-${n}.txt`, content(1 + r.int(8 * 1024)));
        else if (what === 4) await writeRemote(r.pick(remoteOnes()), content(1 + r.int(16 * 1024)));
        else {
          // A small edit (an in-place patch on the server) or a new big file (an upload session).
          const big = `local/big${r.int(2)}.bin`;
          const data = r.int(2) ? fs.readFileSync(path.join(folder, big)) : content(12 * 1024 * 1024 + r.int(1024 * 1024));
          data.fill(r.int(256), 5 * 1024 * 1024, 5 * 1024 * 1024 + 1024);
          writeLocal(big, data);
        }
      }
    }
    console.log(`      ${KILLS} SIGKILLs, ${pendingAtKill} with work still pending`);
    assert.ok(pendingAtKill >= KILLS / 2, `only ${pendingAtKill} of ${KILLS} kills came with work pending: the test proves little`);

    const last = await runCliProcess(['sync', '--once'], env);
    assert.equal(last.code, 0, last.stderr + last.stdout);

    const onDisk = readTree(folder);
    const files = (await remote.list()).files;
    assert.deepEqual(files.map((f) => f.path).sort(), [...expected.keys()].sort(), 'the server holds exactly the paths written');
    assert.deepEqual(Object.keys(onDisk).sort(), [...expected.keys()].sort(), 'the folder holds exactly the paths written');
    for (const f of files) {
      assert.equal(f.contentHash, expected.get(f.path), `the server's "${f.path}" is not its last content`);
      assert.equal(hashOf(Buffer.from(onDisk[f.path]!, 'base64')), f.contentHash, `the folder's "${f.path}" differs from the server's`);
    }
    const temps = fs.readdirSync(folder, { recursive: true }).filter((n) => String(n).includes('.mydropbox-tmp-'));
    assert.deepEqual(temps, [], 'no temp file left behind');
  });
});
