// The administrator's command line (npm run admin -- …): manages DataServers on DATABASE_URL.
import type { Knex } from 'knex';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  migrateLatest,
  openDatabase,
  silentLogger,
  AccessTokenSigner,
  generateSigningKeys,
  keepFilesPrivate,
} from '@mydropbox/server-common';
import { loadRouterConfig } from './config';
import { createRouterServices, DataServerInfo, RouterServices } from './services';
import { loadOrCreateSigningKeys } from './startup';
import { listUserActivity } from './stores/userStore';

const USAGE = `Usage: npm run admin -- <command>
  data-servers list
  data-servers add --id N --host H --port P --capacity GB
  data-servers set-available N true|false
  users list [--unused-days N]     accounts, oldest activity first; only those unused for N days
  users remove NAME…               removes accounts: devices, files on their data server, rows (frees capacity)
  fsck [--repair] [--server N]     checks every data server's files against their rows, hashes included (server/data/src/admin.ts)
Works on DATABASE_URL (default: sqlite under MYDROPBOX_HOME, ./.mydropbox).`;

function option(args: string[], name: string): string {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= args.length) throw new UsageError(`Missing --${name}.`);
  return args[i + 1];
}

function integer(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a whole number, not "${value}".`);
  return Number(value);
}

class UsageError extends Error {}

function row(s: DataServerInfo): string {
  const health = s.healthy === null ? 'unknown' : s.healthy ? 'up' : 'down';
  return [
    s.id,
    s.url,
    `${s.capacityGb} GB`,
    `${s.users} users`,
    s.available ? 'available' : 'unavailable',
    s.diskFull ? `${health}, disk nearly full` : health,
  ].join('\t');
}

export async function runAdmin(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<void> {
  const [group, command, ...rest] = args;
  if (group === 'fsck') return runDataServerAdmin(args);
  if ((group !== 'data-servers' && group !== 'users') || !command) throw new UsageError(USAGE);
  const config = loadRouterConfig(env);
  const db = openDatabase(config.databaseUrl);
  // Removing users calls their data servers with the router's own key; everything else signs nothing, and a throwaway key will do.
  const signingKey =
    group === 'users' && command === 'remove'
      ? loadOrCreateSigningKeys(config.privateKeyFile).privateKeyPem
      : generateSigningKeys().privateKeyPem;
  const services = createRouterServices({ db, log: silentLogger(), signer: new AccessTokenSigner(signingKey), pollHealth: false });
  try {
    await migrateLatest(db, 'central');
    if (group === 'users') {
      await runUsers(command, rest, db, services, out);
    } else if (command === 'list') {
      await services.dataServers.checkNow();
      const servers = await services.dataServers.list();
      if (servers.length === 0)
        out(
          'No data servers are registered. Add one with: npm run admin -- data-servers add --id 1 --host 127.0.0.1 --port 7101 --capacity 1000',
        );
      for (const s of servers) out(row(s));
    } else if (command === 'add') {
      const s = await services.dataServers.register({
        id: integer(option(rest, 'id'), '--id'),
        host: option(rest, 'host'),
        port: integer(option(rest, 'port'), '--port'),
        capacityGb: integer(option(rest, 'capacity'), '--capacity'),
      });
      out(`Registered data server ${s.id} at ${s.url} with ${s.capacityGb} GB.`);
    } else if (command === 'set-available') {
      const [id, value] = rest;
      if (value !== 'true' && value !== 'false') throw new UsageError('set-available takes a server id and true or false.');
      await services.dataServers.setAvailable(integer(id ?? '', 'The server id'), value === 'true');
      out(`Data server ${id} is now ${value === 'true' ? 'available' : 'unavailable'} for new users.`);
    } else {
      throw new UsageError(USAGE);
    }
  } finally {
    services.close();
    await db.destroy();
  }
}

/**
 * The data servers' own check runs in their package, against their roots and databases (not the
 * router's): a child process, so the router does not depend on the data server's code.
 */
async function runDataServerAdmin(args: string[]): Promise<void> {
  const script = path.resolve(__dirname, '../../data/src/admin.ts');
  const child = spawn(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', script, ...args], { stdio: 'inherit' });
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) process.exitCode = code;
}

const DAY_MS = 24 * 3600_000;

async function runUsers(command: string, rest: string[], db: Knex, services: RouterServices, out: (line: string) => void): Promise<void> {
  if (command === 'list') {
    const days = rest.includes('--unused-days') ? integer(option(rest, 'unused-days'), '--unused-days') : undefined;
    const cutoff = days === undefined ? Infinity : Date.now() - days * DAY_MS;
    const users = (await listUserActivity(db)).filter((u) => (u.lastSeenAt ?? u.createdAt) < cutoff);
    if (users.length === 0) out(days === undefined ? 'There are no accounts.' : `No account has been unused for ${days} days.`);
    for (const u of users) {
      const seen = u.lastSeenAt === null ? 'never used' : `last used ${new Date(u.lastSeenAt).toISOString().slice(0, 10)}`;
      out(
        [
          u.username,
          u.email,
          `data server ${u.dataServerId}`,
          `created ${new Date(u.createdAt).toISOString().slice(0, 10)}`,
          seen,
          `${u.activeDevices} devices`,
        ].join('\t'),
      );
    }
  } else if (command === 'remove') {
    if (rest.length === 0) throw new UsageError('Name the accounts to remove: npm run admin -- users remove NAME…');
    for (const username of rest) {
      await services.accounts.removeAccount(username);
      out(`Removed ${username}: its devices, its files on its data server and its rows; its capacity is free.`);
    }
  } else {
    throw new UsageError(USAGE);
  }
}

if (require.main === module) {
  // A database the admin creates is the server's alone, like everything the servers make.
  keepFilesPrivate();
  runAdmin(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
