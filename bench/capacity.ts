// Capacity figures for docs/capacity.md: requests per second the router and a data server answer under wrk on loopback.
//
//   npm run bench:capacity [-- --seconds 10 --connections 32 --database mysql://root@127.0.0.1:3306/test]
//
// Starts `npm start`'s launcher (router + website in one process, two data servers) in a temp home,
// with the central database on the given MySQL/MariaDB (a throwaway database is created in it) or on
// the embedded SQLite, seeds one account with 1,000 files of 10 KiB, then loads one endpoint at a time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../test/support/databases';
import { makeSmallFiles } from './dataset';
import { BenchClient, stateDirIn } from './ours';
import { ensureCommands, run } from './proc';
import { startSystem } from './system';

interface Options {
  seconds: number;
  connections: number;
  database?: string;
}

interface Probe {
  name: string;
  what: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

interface Measured {
  probe: Probe;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { seconds: 10, connections: 32 };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i] ?? '';
    if (argv[i] === '--seconds') opts.seconds = Number(next());
    else if (argv[i] === '--connections') opts.connections = Number(next());
    else if (argv[i] === '--database') opts.database = next();
    else throw new Error(`Unknown option ${argv[i]}; see the comment at the top of bench/capacity.ts.`);
  }
  return opts;
}

/** wrk's Lua hook for a method, headers and body (wrk takes those only from a script). */
function wrkScript(dir: string, probe: Probe): string {
  const file = path.join(dir, `${probe.name.replace(/[^a-z0-9]+/gi, '-')}.lua`);
  const lines = [`wrk.method = "${probe.method ?? 'GET'}"`];
  for (const [k, v] of Object.entries(probe.headers ?? {})) lines.push(`wrk.headers["${k}"] = "${v}"`);
  if (probe.body) lines.push(`wrk.body = [[${probe.body}]]`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  io.write(string.format("MDB %d %d %.3f %.3f %d\\n", summary.requests, summary.duration, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))',
    'end',
  );
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function load(dir: string, probe: Probe, opts: Options): Promise<Measured> {
  const script = wrkScript(dir, probe);
  const threads = Math.min(2, opts.connections);
  const ran = await run('wrk', [
    '-t',
    String(threads),
    '-c',
    String(opts.connections),
    '-d',
    `${opts.seconds}s`,
    '--latency',
    '-s',
    script,
    probe.url,
  ]);
  const m = /MDB (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)/.exec(ran.stdout);
  if (!m) throw new Error(`wrk printed no summary for ${probe.name}:\n${ran.stdout}${ran.stderr}`);
  const [requests, durationUs, p50, p99, non2xx] = m.slice(1).map(Number) as [number, number, number, number, number];
  return { probe, requestsPerSecond: requests / (durationUs / 1e6), latencyP50Ms: p50, latencyP99Ms: p99, non2xx };
}

function table(rows: Measured[], opts: Options, database: string): string {
  const out = [
    `# Capacity probe`,
    '',
    `${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length} cores · load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join('/')} · wrk ${opts.connections} connections, ${opts.seconds} s each · central database: ${database}`,
    '',
    '| endpoint | what it costs | requests/s | p50 ms | p99 ms | non-2xx |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.probe.name} | ${r.probe.what} | ${Math.round(r.requestsPerSecond).toLocaleString('en-US')} | ${r.latencyP50Ms.toFixed(1)} | ${r.latencyP99Ms.toFixed(1)} | ${r.non2xx} |`,
    );
  }
  return out.join('\n') + '\n';
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  ensureCommands({ wrk: 'wrk' }, (s) => process.stderr.write(`${s}\n`));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-capacity-'));
  const central = opts.database ? await createTestDatabase('mariadb', opts.database) : undefined;
  if (central) process.env.DATABASE_URL = central.url;
  const system = await startSystem(path.join(work, 'home'));
  try {
    const account = await system.newAccount();
    const folder = path.join(work, 'files');
    makeSmallFiles(folder, 1000, 10 * 1024, 10);
    const client = new BenchClient(folder, stateDirIn(work, 'seed'), account.session);
    await client.sync();
    await client.close();
    const { accessToken, dataServerUrl } = await account.session.getAccessToken();
    const firstFile = 'folder0/file0.bin';
    if (!fs.existsSync(path.join(folder, firstFile)))
      throw new Error(`bench/dataset.ts no longer makes ${firstFile}; update bench/capacity.ts.`);
    const user = { Authorization: `Bearer ${accessToken}` };
    const listing = (await (await fetch(`${dataServerUrl}/v1/files`, { headers: user })).json()) as { cursor: string };
    const device = { Authorization: `Bearer ${account.deviceToken}` };
    const probes: Probe[] = [
      { name: 'router GET /healthz', what: 'no database; the floor of one Koa request', url: `${system.url}/healthz` },
      {
        name: 'router POST /api/v1/access-tokens',
        what: 'device-token lookup (central DB) + Ed25519 signature: what every client does every 5 minutes',
        url: `${system.url}/api/v1/access-tokens`,
        method: 'POST',
        headers: device,
      },
      { name: 'router GET /api/v1/me', what: 'device-token lookup + user row', url: `${system.url}/api/v1/me`, headers: device },
      {
        name: 'data GET /v1/changes (no change)',
        what: 'token check + one indexed query: an idle client’s poll',
        url: `${dataServerUrl}/v1/changes?cursor=${encodeURIComponent(listing.cursor)}&timeout=0`,
        headers: user,
      },
      {
        name: 'data GET /v1/files (1,000 files)',
        what: 'a full listing of a 1,000-file account',
        url: `${dataServerUrl}/v1/files`,
        headers: user,
      },
      {
        name: 'data GET /v1/files/content (10 KiB)',
        what: 'a small download: row + file stream',
        url: `${dataServerUrl}/v1/files/content?path=${encodeURIComponent(firstFile)}`,
        headers: user,
      },
      {
        name: 'router POST /api/v1/sessions',
        what: 'sign-in: argon2id verification (deliberately slow) + a device row',
        url: `${system.url}/api/v1/sessions`,
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: account.username, password: account.password, deviceName: 'capacity', deviceKind: 'daemon' }),
      },
    ];
    const rows: Measured[] = [];
    for (const probe of probes) {
      rows.push(await load(work, probe, probe.name.includes('sessions') ? { ...opts, connections: 4 } : opts));
      process.stderr.write(`${probe.name}: ${Math.round(rows[rows.length - 1]!.requestsPerSecond)} req/s\n`);
    }
    const md = table(rows, opts, opts.database ? 'MariaDB/MySQL' : 'SQLite (embedded)');
    process.stdout.write(md);
    const outDir = path.join(__dirname, 'results');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'capacity-latest.md'), md);
  } finally {
    await system.close();
    await central?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
