// Preloaded into the servers by `npm run bench -- --profile DIR` (NODE_OPTIONS refuses --cpu-prof): a V8 CPU profile per process, written at exit.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.MYDROPBOX_CPU_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (err, res) => {
      if (err) return;
      const name = `${path.basename(process.argv[process.argv.length - 1] || 'node', '.ts')}-${process.pid}.cpuprofile`;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, name), JSON.stringify(res.profile));
    });
  };
  // The servers exit through process.exit after SIGTERM; 'exit' handlers run synchronously and the inspector answers in the same turn.
  process.on('exit', write);
}
