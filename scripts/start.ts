// `npm start`: the whole system on the embedded database with zero setup: two data servers and the website + router.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadOrCreateSigningKeys, publicKeyFileFor } from '@mydropbox/router';
import { keepFilesPrivate } from '@mydropbox/server-common';
import { buildPackages, DAEMON_FILE, packagesStatus, VSIX_FILE } from '../extension/scripts/package';

const REPO_ROOT = path.resolve(__dirname, '..');
const HOST = process.env.HOST ?? '127.0.0.1';
const HOME = path.resolve(process.env.MYDROPBOX_HOME ?? path.join(REPO_ROOT, '.mydropbox'));
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

interface Service {
  name: string;
  script: string;
  portVariable: string;
  port: number;
  env: NodeJS.ProcessEnv;
  child?: ChildProcess;
  logFile: string;
}

function portFrom(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) fail(`${variable}="${raw}" is not a port number (1-65535).`);
  return value;
}

function fail(message: string): never {
  process.stderr.write(`\n${message}\n`);
  process.exit(1);
}

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

async function waitForHealth(service: Service, deadline: number): Promise<void> {
  const url = `http://${HOST.includes(':') ? `[${HOST}]` : HOST}:${service.port}/healthz`;
  while (Date.now() < deadline) {
    if (service.child?.exitCode !== null) throw new Error(`${service.name} stopped while starting.`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${service.name} did not answer ${url} within ${READY_TIMEOUT_MS / 1000} s.`);
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function startChild(service: Service): ChildProcess {
  const out = fs.openSync(service.logFile, 'a');
  const child = spawn(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', service.script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...service.env },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  return child;
}

async function stopAll(services: Service[]): Promise<void> {
  const running = services.filter((s) => s.child && s.child.exitCode === null && s.child.signalCode === null);
  await Promise.all(
    running.map(
      (s) =>
        new Promise<void>((resolve) => {
          const child = s.child!;
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * The website offers the .vsix and the daemon package from extension/dist: on a fresh clone (or after the client
 * sources changed) build them, side by side with the servers starting. A failed build leaves the servers running;
 * the client page then says how to build.
 */
async function ensureClientPackages(logFile: string): Promise<string> {
  if (process.env.CLIENT_VSIX_PATH && process.env.CLIENT_DAEMON_PATH)
    return '  clients: served from CLIENT_VSIX_PATH and CLIENT_DAEMON_PATH\n';
  const status = packagesStatus();
  if (status.upToDate) return '  clients: extension/dist/mydropbox.vsix and mydropbox-daemon.tgz, up to date\n';
  process.stdout.write(`Building the VS Code extension and the daemon package (${status.reason})…\n`);
  fs.writeFileSync(logFile, `npm start: building the client packages (${status.reason})\n`);
  try {
    const built = await buildPackages((line) => fs.appendFileSync(logFile, line + '\n'));
    return `  clients: built extension/dist/mydropbox.vsix and mydropbox-daemon.tgz in ${(built.ms / 1000).toFixed(1)} s\n`;
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    fs.appendFileSync(logFile, `${err instanceof Error ? err.message : String(err)}\n`);
    const offered = fs.existsSync(VSIX_FILE) && fs.existsSync(DAEMON_FILE) ? 'offers the previous build' : 'says the downloads are missing';
    return (
      `  clients: NOT BUILT: ${reason}\n` +
      `    The servers run anyway; the client page ${offered}. Details in ${logFile};\n` +
      '    fix the cause, then run `npm run package` (no restart needed).\n'
    );
  }
}

async function main(): Promise<void> {
  const webPort = portFrom('PORT', 3000);
  const dataPorts = [portFrom('DATA1_PORT', 7101), portFrom('DATA2_PORT', 7102)];
  // Databases, keys, stored files and logs are readable by this user only (the children inherit the umask).
  keepFilesPrivate([HOME, path.join(HOME, 'logs')]);
  const privateKeyFile = path.resolve(process.env.ROUTER_PRIVATE_KEY_FILE ?? path.join(HOME, 'keys', 'router-ed25519.pem'));
  loadOrCreateSigningKeys(privateKeyFile);
  const publicKeyFile = publicKeyFileFor(privateKeyFile);

  const dataServers: Service[] = dataPorts.map((port, i) => {
    const id = i + 1;
    const env: NodeJS.ProcessEnv = {
      DATA_SERVER_ID: String(id),
      DATA_HOST: HOST,
      DATA_PORT: String(port),
      // One root per server: each sweeps its own staging area at start.
      DATA_ROOT: process.env[`DATA${id}_ROOT`] ?? path.join(HOME, `data-${id}`),
      ROUTER_PUBLIC_KEY_FILE: publicKeyFile,
      MYDROPBOX_HOME: HOME,
    };
    const dbUrl = process.env[`DATA${id}_DATABASE_URL`];
    if (dbUrl) env.DATA_DATABASE_URL = dbUrl;
    return {
      name: `data server ${id}`,
      script: 'server/data/src/main.ts',
      portVariable: `DATA${id}_PORT`,
      port,
      env,
      logFile: path.join(HOME, 'logs', `data-${id}.log`),
    };
  });
  const web: Service = {
    name: 'website and router',
    script: 'server/web/src/main.ts',
    portVariable: 'PORT',
    port: webPort,
    env: {
      HOST,
      PORT: String(webPort),
      MYDROPBOX_HOME: HOME,
      ROUTER_PRIVATE_KEY_FILE: privateKeyFile,
      DATA_SERVERS: process.env.DATA_SERVERS || dataServers.map((s, i) => `${i + 1}=${HOST}:${s.port}`).join(','),
    },
    logFile: path.join(HOME, 'logs', 'web.log'),
  };
  const services = [...dataServers, web];

  const seen = new Map<number, string>();
  for (const s of services) {
    if (seen.has(s.port)) fail(`${s.portVariable} and ${seen.get(s.port)} are both ${s.port}; give each its own port.`);
    seen.set(s.port, s.portVariable);
    if (!(await portIsFree(s.port, HOST))) {
      fail(
        `Port ${s.port} on ${HOST} is already in use (${s.portVariable}). Stop what runs there, or start with ${s.portVariable}=<another port> npm start.`,
      );
    }
  }

  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping MyDropbox…\n');
    await stopAll(services);
    process.stdout.write('Stopped.\n');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGHUP', () => void shutdown(0));
  // Last resort if the launcher dies some other way: leave no server behind.
  process.on('exit', () => services.forEach((s) => s.child?.exitCode === null && s.child.kill('SIGKILL')));

  const started = Date.now();
  const clients = ensureClientPackages(path.join(HOME, 'logs', 'package.log'));
  for (const s of dataServers) s.child = startChild(s);
  for (const s of services) {
    s.child?.on('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `\n${s.name} stopped unexpectedly (${signal ?? `exit code ${code}`}). Its log, ${s.logFile}:\n${tail(s.logFile)}\n`,
      );
      void shutdown(1);
    });
  }
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    await Promise.all(dataServers.map((s) => waitForHealth(s, deadline)));
    // The website registers the data servers at start, so it comes up once they answer.
    web.child = startChild(web);
    web.child.on('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(
        `\n${web.name} stopped unexpectedly (${signal ?? `exit code ${code}`}). Its log, ${web.logFile}:\n${tail(web.logFile)}\n`,
      );
      void shutdown(1);
    });
    await waitForHealth(web, deadline);
  } catch (err) {
    if (stopping) return;
    process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
    for (const s of services) {
      const t = tail(s.logFile, 8);
      if (t) process.stderr.write(`\n--- ${s.logFile}\n${t}\n`);
    }
    await shutdown(1);
    return;
  }
  const clientsLine = await clients;
  if (stopping) return;
  const url = `http://${HOST.includes(':') ? `[${HOST}]` : HOST}:${webPort}`;
  process.stdout.write(`\nMyDropbox is running at ${process.env.PUBLIC_URL || url}\n`);
  process.stdout.write(`  data servers: ${dataServers.map((s) => `http://${HOST}:${s.port}`).join(', ')}\n`);
  process.stdout.write(`  state: ${HOME} (logs in ${path.join(HOME, 'logs')}), ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.stdout.write(clientsLine);
  process.stdout.write('  press Ctrl-C to stop\n');
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
