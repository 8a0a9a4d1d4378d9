#!/usr/bin/env node
// Starts the `mydropbox` daemon: from the TypeScript sources through tsx inside the repository, else the bundled out/cli.js.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const source = path.join(root, 'src', 'cli', 'main.ts');
const bundle = path.join(root, 'out', 'cli.js');

function loadCli() {
  if (process.env.MYDROPBOX_USE_BUNDLE !== '1' && fs.existsSync(source)) {
    try {
      require('tsx/cjs/api').register();
      return require(source);
    } catch (err) {
      if (!fs.existsSync(bundle)) throw err;
    }
  }
  return require(bundle);
}

loadCli()
  .runCli(process.argv.slice(2))
  .then((code) => process.exit(code));
