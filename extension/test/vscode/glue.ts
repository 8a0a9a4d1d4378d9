// Test support for the glue against the real engine and servers: an activated extension on the double, signed in to a stack, and the server seen from outside.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blockHashesOf, BLOCK_SIZE, errorFromResponse, type FileEntry, type ListResponse } from '@mydropbox/shared';
import * as sync from '../../src/sync';
import { activateExtension, type Extension } from '../../src/activation';
import { COMMANDS } from '../../src/commands';
import { startStack, type Stack, type StackOptions, type StackUser } from '../../../test/support/stack';
import { createVscodeDouble, workspaceFolder, type VscodeDouble } from './double';

export interface Glue {
  dir: string;
  folder: string;
  double: VscodeDouble;
  ext: Extension;
  user: StackUser;
  /** Signs in through the Sign In command (the three input boxes) and waits until the first sync is done. */
  signIn(): Promise<void>;
  serverFiles(): Promise<FileEntry[]>;
  /** Another device's edit (or new file), committed on top of the server's current revision. */
  editOnServer(filePath: string, data: Buffer): Promise<FileEntry>;
  write(rel: string, data: string | Buffer): string;
  close(): Promise<void>;
}

export async function startGlue(stack: Stack, options: { trusted?: boolean } = {}): Promise<Glue> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-glue-'));
  const folder = path.join(dir, 'myDropbox');
  fs.mkdirSync(folder);
  const double = createVscodeDouble(path.join(dir, 'storage'));
  double.trusted = options.trusted ?? true;
  double.workspaceFolders.push(workspaceFolder(folder));
  const ext = await activateExtension(double.host, double.context, sync);
  const user = await stack.signUpAndSignIn();

  const access = async () => {
    const a = await stack.services.accessTokens.issue(user.deviceToken);
    return { url: a.dataServer.url, auth: { authorization: `Bearer ${a.accessToken}` } };
  };
  const serverFiles = async () => {
    const { url, auth } = await access();
    const res = await fetch(`${url}/v1/files`, { headers: auth });
    return ((await res.json()) as ListResponse).files;
  };
  return {
    dir,
    folder,
    double,
    ext,
    user,
    async signIn() {
      double.answerInputs(stack.url, user.username, user.password);
      assert.equal(await double.host.commands.executeCommand(COMMANDS.signIn), true);
      await ext.controller.waitForStatus((s) => s.kind === 'upToDate');
    },
    serverFiles,
    async editOnServer(filePath, data) {
      const { url, auth } = await access();
      const current = (await serverFiles()).find((f) => f.path === filePath);
      const blocks = blockHashesOf(data);
      for (let i = 0; i < blocks.length; i++) {
        const res = await fetch(`${url}/v1/blocks/${blocks[i]}`, {
          method: 'PUT',
          headers: { ...auth, 'content-type': 'application/octet-stream' },
          body: data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE),
        });
        if (!res.ok) throw errorFromResponse(res.status, await res.json().catch(() => null));
      }
      const res = await fetch(`${url}/v1/commit`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ path: filePath, size: data.length, blocks, baseRev: current?.rev ?? null, modifiedAt: Date.now() }),
      });
      const body: unknown = await res.json().catch(() => null);
      if (!res.ok) throw errorFromResponse(res.status, body);
      return body as FileEntry;
    },
    write(rel, data) {
      const file = path.join(folder, ...rel.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, data);
      return file;
    },
    async close() {
      await ext.controller.stop();
      await double.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Mocha hooks for a test file: one stack for the file, a fresh extension (signed out) on the double for each test. */
export function glueForEachTest(onGlue: (glue: Glue) => void, stackOptions: StackOptions = {}): void {
  let stack: Stack | undefined;
  let glue: Glue | undefined;
  before(async () => (stack = await startStack(stackOptions)));
  after(async () => stack?.close());
  beforeEach(async () => onGlue((glue = await startGlue(stack!))));
  afterEach(async () => glue?.close());
}

/** Resolves once `probe` holds (checked every 20 ms), or fails naming what it waited for. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
