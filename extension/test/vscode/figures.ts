// The extension's figures for docs/extension.md: memory of an extension host syncing 100,000 files, and the decoration provider's time to answer.
// Run: node --conditions=source --require tsx/cjs extension/test/vscode/figures.ts [files]   (FIGURES_DB=mariadb to use MariaDB; default SQLite)
//
// The servers run here; the extension runs in a child process of its own (hostProbe.ts bundled with
// esbuild, as VS Code loads the bundled extension), so its memory is what an extension host would add.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { startStack } from '../../../test/support/stack';
import type { DatabaseKind } from '../../../test/support/databases';
import { filePaths } from './hostProbe';

async function main(): Promise<void> {
  const files = Number(process.argv[2] ?? 100_000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-ext-figures-'));
  const stack = await startStack({ databaseKind: (process.env.FIGURES_DB as DatabaseKind | undefined) ?? 'sqlite' });
  try {
    const user = await stack.signUpAndSignIn();
    const folder = path.join(work, 'myDropbox');
    for (const p of filePaths(files)) {
      const file = path.join(folder, p);
      if (p.endsWith('/f0.txt')) fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `file ${p}\n`);
    }
    const probe = path.join(work, 'probe.js');
    await build({
      entryPoints: [path.join(__dirname, 'hostProbe.ts')],
      outfile: probe,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      conditions: ['source'],
      logLevel: 'warning',
    });
    const runProbe = async (device?: string, engineOnly = false): Promise<Record<string, unknown>> => {
      const child = spawn(process.execPath, ['--expose-gc', probe], {
        env: {
          ...process.env,
          PROBE_FOLDER: folder,
          PROBE_STORAGE: path.join(work, 'storage'),
          PROBE_SERVER: stack.url,
          PROBE_USERNAME: user.username,
          PROBE_PASSWORD: user.password,
          PROBE_FILES: String(files),
          ...(device ? { PROBE_DEVICE: device } : {}),
          ...(engineOnly ? { PROBE_ENGINE_ONLY: '1' } : {}),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      if (code !== 0) throw new Error(`the probe exited with ${code}`);
      return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
    };
    // The first sync uploads everything; the restart is the everyday case: the index is there, the folder unchanged.
    const first = await runProbe();
    const restart = await runProbe(first.device as string);
    const engineAlone = await runProbe(first.device as string, true);
    for (const result of [first, restart, engineAlone]) {
      delete result.device;
      console.log(JSON.stringify(result, null, 2));
    }
  } finally {
    await stack.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
