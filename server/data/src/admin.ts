// The data server's administrator commands (`npm run admin -- fsck …` runs this): the full check of rows against files.
import fs from 'node:fs';
import path from 'node:path';
import { migrateLatest, openDatabase, silentLogger } from '@mydropbox/server-common';
import { QUOTA_BYTES } from '@mydropbox/shared';
import { createDataServices } from './services';
import type { ConsistencyReport } from './services/consistencyCheck';

const USAGE = `Usage: npm run admin -- fsck [--repair] [--server N]
  Reads every file of each data server and compares it with its row: present, its size, its content hash;
  lists files no row names. Without --repair nothing is changed (safe while the server runs; a commit in
  flight may show as a difference). With --repair (data server stopped) files without a row are removed
  and damaged files are rebuilt from the same blocks held intact elsewhere; what cannot be rebuilt is listed.
  Servers: DATA_SERVER_ID, DATA_ROOT, DATA_DATABASE_URL when set (one server run on its own); else the two
  that npm start runs under MYDROPBOX_HOME (DATA1_ROOT/DATA2_ROOT, DATA1_DATABASE_URL/DATA2_DATABASE_URL).
  Exit status: 0 every file matches its row, 1 some file is still wrong, 2 usage.`;

export class UsageError extends Error {}

interface Target {
  id: number;
  root: string;
  databaseUrl: string;
  port: number;
}

function targets(env: NodeJS.ProcessEnv, only?: number): Target[] {
  const home = env.MYDROPBOX_HOME ?? './.mydropbox';
  const sqliteUnder = (root: string, id: number) => `sqlite:${path.join(root, `data-server-${id}.sqlite`)}`;
  let list: Target[];
  if (env.DATA_SERVER_ID) {
    const id = Number(env.DATA_SERVER_ID);
    const root = path.resolve(env.DATA_ROOT ?? path.join(home, 'data'));
    list = [{ id, root, databaseUrl: env.DATA_DATABASE_URL ?? sqliteUnder(root, id), port: Number(env.DATA_PORT ?? 7101) }];
  } else {
    list = [1, 2].map((id) => {
      const root = path.resolve(env[`DATA${id}_ROOT`] ?? path.join(home, `data-${id}`));
      return {
        id,
        root,
        databaseUrl: env[`DATA${id}_DATABASE_URL`] ?? sqliteUnder(root, id),
        port: Number(env[`DATA${id}_PORT`] ?? 7100 + id),
      };
    });
  }
  return only === undefined ? list : list.filter((t) => t.id === only);
}

async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

function describe(t: Target, r: ConsistencyReport, repair: boolean): string[] {
  const lines = [`data server ${t.id} (${t.root}): ${r.rows} files checked`];
  for (const o of r.orphans) lines.push(`  ${repair ? 'removed' : 'no row names'} ${o}`);
  for (const x of r.repaired) lines.push(`  rebuilt ${x.owner}/${x.path} (${x.problem})`);
  for (const x of r.damaged)
    lines.push(`  WRONG ${x.owner}/${x.path}: ${x.problem === 'missing' ? 'missing' : `its ${x.problem} differs from its row`}`);
  if (!r.orphans.length && !r.repaired.length && !r.damaged.length) lines.push('  every file matches its row');
  return lines;
}

/** Runs one command; returns the exit status. */
export async function runDataAdmin(args: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const [command, ...rest] = args;
  if (command !== 'fsck') throw new UsageError(USAGE);
  const repair = rest.includes('--repair');
  const serverAt = rest.indexOf('--server');
  const only = serverAt >= 0 ? Number(rest[serverAt + 1]) : undefined;
  if (only !== undefined && !Number.isInteger(only)) throw new UsageError(`--server takes a data server id.\n${USAGE}`);
  if (rest.some((a, i) => a !== '--repair' && a !== '--server' && rest[i - 1] !== '--server')) throw new UsageError(USAGE);
  let wrong = 0;
  const list = targets(env, only);
  if (!list.length) throw new UsageError(`There is no data server ${only} here.\n${USAGE}`);
  for (const t of list) {
    if (!fs.existsSync(t.root)) {
      out(`data server ${t.id}: no storage folder at ${t.root}; skipped (set DATA_ROOT or MYDROPBOX_HOME)`);
      continue;
    }
    if (repair && (await answers(t.port))) {
      throw new Error(
        `Data server ${t.id} is running (it answers on port ${t.port}); stop it before fsck --repair, or run fsck without --repair.`,
      );
    }
    const db = openDatabase(t.databaseUrl);
    try {
      await migrateLatest(db, 'data');
      const services = createDataServices({ db, root: t.root, serverId: t.id, quotaBytes: QUOTA_BYTES, log: silentLogger() });
      try {
        const report = await services.fsck(repair);
        describe(t, report, repair).forEach((l) => out(l));
        wrong += report.damaged.length + (repair ? 0 : report.orphans.length);
      } finally {
        await services.close();
      }
    } finally {
      await db.destroy();
    }
  }
  return wrong ? 1 : 0;
}

if (require.main === module) {
  runDataAdmin(process.argv.slice(2), process.env, (l) => process.stdout.write(`${l}\n`)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
