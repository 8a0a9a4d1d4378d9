// The tools people would use instead, on the same loopback: an rsync daemon, rclone against `rclone serve webdav`, cp and a raw TCP copy.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, run, sleep, stopChild, waitForPort } from './proc';

export interface RsyncRun {
  seconds: number;
  sent: number; // rsync's own "Total bytes sent"
  received: number;
  literal: number; // file bytes rsync could not match at the receiver (its payload)
}

export interface RsyncDaemon {
  port: number;
  /** rsync -a --delete from `src/` into module folder `dest`; `port` overrides the daemon's (a counting proxy). */
  push(src: string, dest: string, port?: number): Promise<RsyncRun>;
  /** Where the module keeps `dest` on disk (to empty it between runs). */
  dir(dest: string): string;
  close(): Promise<void>;
}

export async function startRsyncDaemon(work: string): Promise<RsyncDaemon> {
  const root = path.join(work, 'rsyncd');
  const data = path.join(root, 'module');
  fs.mkdirSync(data, { recursive: true });
  const port = await freePort();
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const conf = path.join(root, 'rsyncd.conf');
  fs.writeFileSync(
    conf,
    [
      'use chroot = no',
      `pid file = ${path.join(root, 'rsyncd.pid')}`,
      `log file = ${path.join(root, 'rsyncd.log')}`,
      `uid = ${uid}`,
      `gid = ${gid}`,
      '[bench]',
      `  path = ${data}`,
      '  read only = no',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('rsync', ['--daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, '--address=127.0.0.1'], {
    stdio: 'ignore',
  });
  await waitForPort(port);
  return {
    port,
    dir: (dest) => path.join(data, dest),
    async push(src, dest, viaPort = port) {
      const r = await run('rsync', [
        '-a',
        '--delete',
        '--stats',
        `${src.replace(/\/?$/, '/')}`,
        `rsync://127.0.0.1:${viaPort}/bench/${dest}/`,
      ]);
      return {
        seconds: r.seconds,
        sent: stat(r.stdout, 'Total bytes sent'),
        received: stat(r.stdout, 'Total bytes received'),
        literal: stat(r.stdout, 'Literal data'),
      };
    },
    close: () => stopChild(child),
  };
}

function stat(out: string, name: string): number {
  const m = new RegExp(`${name}:\\s+([\\d,.]+)`).exec(out);
  if (!m) throw new Error(`rsync --stats printed no "${name}":\n${out}`);
  return Number(m[1]!.replace(/,/g, ''));
}

export interface RcloneWebdav {
  port: number;
  /** rclone sync from `src` into `dest` on the WebDAV server; `port` overrides the server's (a counting proxy). */
  push(src: string, dest: string, port?: number): Promise<{ seconds: number }>;
  dir(dest: string): string;
  close(): Promise<void>;
}

export async function startRcloneWebdav(work: string): Promise<RcloneWebdav> {
  const root = path.join(work, 'rclone');
  const data = path.join(root, 'served');
  fs.mkdirSync(data, { recursive: true });
  const port = await freePort();
  const env = { ...process.env, RCLONE_CONFIG: path.join(root, 'rclone.conf') };
  const child: ChildProcess = spawn('rclone', ['serve', 'webdav', data, '--addr', `127.0.0.1:${port}`], { stdio: 'ignore', env });
  await waitForPort(port);
  return {
    port,
    dir: (dest) => path.join(data, dest),
    async push(src, dest, viaPort = port) {
      // The owncloud dialect lets rclone set and read modification times through \`rclone serve webdav\`; plain
      // WebDAV has none, and rclone would then miss a same-size edit altogether.
      const r = await run(
        'rclone',
        ['sync', src, `:webdav:${dest}`, '--webdav-url', `http://127.0.0.1:${viaPort}/`, '--webdav-vendor', 'owncloud'],
        {
          env,
        },
      );
      return { seconds: r.seconds };
    },
    close: () => stopChild(child),
  };
}

/** The floor for many small files: `cp -r`, and `cp -r` followed by an fsync of every file and folder (what "durable" costs naively). */
export async function copyTree(src: string, dest: string): Promise<{ cp: number; cpSync: number }> {
  fs.rmSync(dest, { recursive: true, force: true });
  const cp = (await run('cp', ['-r', src, dest])).seconds;
  fs.rmSync(dest, { recursive: true, force: true });
  const t0 = process.hrtime.bigint();
  await run('cp', ['-r', src, dest]);
  const all: string[] = [dest];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      all.push(path.join(d, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(dest);
  await run('sync', all);
  const cpSync = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.rmSync(dest, { recursive: true, force: true });
  return { cp, cpSync };
}

/** The floor for one big file: `cp`, `cp` + fsync, and a raw loopback TCP copy into a file (socat to socat). */
export async function copyFile(src: string, dest: string): Promise<{ cp: number; cpSync: number; tcp: number }> {
  fs.rmSync(dest, { force: true });
  const cp = (await run('cp', [src, dest])).seconds;
  fs.rmSync(dest, { force: true });
  const t0 = process.hrtime.bigint();
  await run('cp', [src, dest]);
  await run('sync', [dest]);
  const cpSync = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.rmSync(dest, { force: true });
  const port = await freePort();
  const receiver = run('socat', ['-u', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `CREATE:${dest}`]);
  // No probe connection: socat would take it as the transfer. A refused connect costs nothing, so retry until it listens.
  let tcp = NaN;
  for (let attempt = 0; attempt < 100 && Number.isNaN(tcp); attempt++) {
    const t1 = process.hrtime.bigint();
    const r = await run('socat', ['-u', `OPEN:${src},rdonly`, `TCP:127.0.0.1:${port}`], { allowFail: true });
    if (r.code === 0) {
      await receiver;
      tcp = Number(process.hrtime.bigint() - t1) / 1e9;
    } else await sleep(20);
  }
  if (fs.statSync(dest).size !== fs.statSync(src).size) throw new Error('The TCP floor copy came out short.');
  fs.rmSync(dest, { force: true });
  return { cp, cpSync, tcp };
}
