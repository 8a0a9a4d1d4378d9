// Bundles the extension (out/extension.js) and the daemon (out/cli.js) into single files, so neither the .vsix nor the daemon package needs node_modules.
// Usage: node esbuild.mjs [--production] [--watch]
import { build, context } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Workspace packages export their TypeScript sources under the `source` condition.
  conditions: ['source'],
  // `vscode` is provided by the editor; nothing else stays outside, so neither package needs node_modules.
  external: ['vscode'],
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  absWorkingDir: root,
};

const targets = [{ ...common, entryPoints: ['src/extension.ts'], outfile: 'out/extension.js' }];
if (fs.existsSync(path.join(root, 'src/cli/main.ts'))) {
  targets.push({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'out/cli.js', banner: { js: '#!/usr/bin/env node' } });
}

fs.rmSync(path.join(root, 'out'), { recursive: true, force: true });
fs.mkdirSync(path.join(root, 'dist'), { recursive: true });

if (watch) {
  for (const options of targets) await (await context(options)).watch();
} else {
  await Promise.all(targets.map((options) => build(options)));
  const cli = path.join(root, 'out/cli.js');
  if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
}
