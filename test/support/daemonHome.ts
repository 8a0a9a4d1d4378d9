// Mocha hooks for suites that run the real `mydropbox` daemon against one stack: a fresh home per test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack, TEST_PASSWORD, type Stack } from './stack';

/** Where one test's daemon lives: its HOME, the environment that points the daemon there, and the folder it syncs. */
export interface DaemonHome {
  home: string;
  env: NodeJS.ProcessEnv;
  folder: string;
}

/**
 * One stack for the file and, before each test, a new daemon home (removed after it), both handed to
 * `bind`; the daemon's `login` reads the password from the environment.
 */
export function daemonHomeHooks(prefix: string, bind: { stack(stack: Stack): void; home(home: DaemonHome): void }): void {
  let stack: Stack | undefined;
  let home: string | undefined;
  before(async () => bind.stack((stack = await startStack())));
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    bind.home({
      home,
      env: { MYDROPBOX_CONFIG_DIR: path.join(home, 'config'), HOME: home, MYDROPBOX_PASSWORD: TEST_PASSWORD },
      folder: path.join(home, 'myDropbox'),
    });
  });
  afterEach(() => {
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });
  after(async () => {
    await stack?.close();
  });
}
