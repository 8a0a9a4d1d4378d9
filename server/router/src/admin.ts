// The administrator's command line (npm run admin -- …): manages DataServers on DATABASE_URL.
import {
  migrateLatest,
  openDatabase,
  silentLogger,
  AccessTokenSigner,
  generateSigningKeys,
  keepFilesPrivate,
} from '@mydropbox/server-common';
import { loadRouterConfig } from './config';
import { createRouterServices, DataServerInfo } from './services';

const USAGE = `Usage: npm run admin -- <command>
  data-servers list
  data-servers add --id N --host H --port P --capacity GB
  data-servers set-available N true|false
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
  return [s.id, s.url, `${s.capacityGb} GB`, `${s.users} users`, s.available ? 'available' : 'unavailable', health].join('\t');
}

export async function runAdmin(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<void> {
  const [group, command, ...rest] = args;
  if (group !== 'data-servers' || !command) throw new UsageError(USAGE);
  const config = loadRouterConfig(env);
  const db = openDatabase(config.databaseUrl);
  // The admin never signs tokens; a throwaway key satisfies the service layer without touching the real one.
  const services = createRouterServices({
    db,
    log: silentLogger(),
    signer: new AccessTokenSigner(generateSigningKeys().privateKeyPem),
    pollHealth: false,
  });
  try {
    await migrateLatest(db, 'central');
    if (command === 'list') {
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

if (require.main === module) {
  // A database the admin creates is the server's alone, like everything the servers make.
  keepFilesPrivate();
  runAdmin(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
