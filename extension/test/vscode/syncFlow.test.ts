// The glue driving the real engine against the real servers: first-sync progress, status bar states, and a conflict opening a diff.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as vscode from 'vscode';
import { blockHashesOf, BLOCK_SIZE, errorFromResponse, type ListResponse } from '@mydropbox/shared';
import * as sync from '../../src/sync';
import { activateExtension, type Extension } from '../../src/activation';
import { COMMANDS } from '../../src/commands';
import { startStack, uploadFile, type Stack, type StackUser } from '../../../test/support/stack';
import { createVscodeDouble, workspaceFolder, type VscodeDouble } from './double';

describe('extension glue with the real engine and servers', function () {
  this.timeout(60_000);
  let stack: Stack;
  let dir: string;
  let folder: string;
  let double: VscodeDouble;
  let ext: Extension;
  let user: StackUser;

  before(async () => (stack = await startStack()));
  after(async () => stack?.close());
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-ext-'));
    folder = path.join(dir, 'myDropbox');
    fs.mkdirSync(folder);
    double = createVscodeDouble(path.join(dir, 'storage'));
    double.workspaceFolders.push(workspaceFolder(folder));
    ext = await activateExtension(double.host, double.context, sync);
    user = await stack.signUpAndSignIn();
  });
  afterEach(async () => {
    await ext.controller.stop();
    await double.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(): Promise<void> {
    double.answerInputs(stack.url, user.username, user.password);
    assert.equal(await double.host.commands.executeCommand(COMMANDS.signIn), true);
  }

  async function serverListing(): Promise<ListResponse> {
    const access = await stack.services.accessTokens.issue(user.deviceToken);
    const res = await fetch(`${access.dataServer.url}/v1/files`, { headers: { authorization: `Bearer ${access.accessToken}` } });
    return (await res.json()) as ListResponse;
  }

  /** Another device's edit, committed on top of the server's current revision. */
  async function editOnServer(filePath: string, data: Buffer): Promise<void> {
    const access = await stack.services.accessTokens.issue(user.deviceToken);
    const auth = { authorization: `Bearer ${access.accessToken}` };
    const current = (await serverListing()).files.find((f) => f.path === filePath);
    const blocks = blockHashesOf(data);
    for (let i = 0; i < blocks.length; i++) {
      const res = await fetch(`${access.dataServer.url}/v1/blocks/${blocks[i]}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/octet-stream' },
        body: data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE),
      });
      if (!res.ok) throw errorFromResponse(res.status, await res.json().catch(() => null));
    }
    const res = await fetch(`${access.dataServer.url}/v1/commit`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ path: filePath, size: data.length, blocks, baseRev: current?.rev ?? null, modifiedAt: Date.now() }),
    });
    if (!res.ok) throw errorFromResponse(res.status, await res.json().catch(() => null));
  }

  it('shows first-sync progress, then "up to date", with files moved both ways', async () => {
    await uploadFile(user, 'from-server.txt', Buffer.from('made on the website\n'));
    fs.writeFileSync(path.join(folder, 'from-editor.txt'), 'made here\n');
    const item = double.statusItems[0]!;

    await signIn();
    await ext.controller.waitForStatus((s) => s.kind === 'upToDate');

    assert.equal(item.text, '$(check) MyDropbox');
    assert.equal(item.command, COMMANDS.showMenu);
    assert.match(String(item.tooltip), new RegExp(`Signed in as: ${user.username}`));
    const texts = item.textHistory;
    const syncing = texts.findIndex((t) => t.startsWith('$(sync~spin) Syncing'));
    assert.ok(syncing > texts.indexOf('$(sign-in) MyDropbox: Sign In'), `signed out, then syncing: ${JSON.stringify(texts)}`);
    assert.ok(texts.lastIndexOf('$(check) MyDropbox') > syncing, `then up to date: ${JSON.stringify(texts)}`);
    const first = double.progress.find((p) => p.options.title === 'MyDropbox: first sync of myDropbox');
    assert.ok(first, 'a progress notification for the first sync');
    assert.equal(first.options.location, 15);
    await new Promise((r) => setImmediate(r));
    assert.equal(first.done, true, 'the progress notification closes once in sync');

    assert.equal(fs.readFileSync(path.join(folder, 'from-server.txt'), 'utf8'), 'made on the website\n');
    assert.ok((await serverListing()).files.some((f) => f.path === 'from-editor.txt'));
  });

  it('Pause and Resume go through the status bar, Sync Now finishes in sync', async () => {
    await signIn();
    await ext.controller.waitForStatus((s) => s.kind === 'upToDate');
    await double.host.commands.executeCommand(COMMANDS.pause);
    assert.equal(double.statusItems[0]!.text, '$(debug-pause) MyDropbox paused');
    fs.writeFileSync(path.join(folder, 'while-paused.txt'), 'waits for resume\n');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!(await serverListing()).files.some((f) => f.path === 'while-paused.txt'), 'nothing is sent while paused');

    await double.host.commands.executeCommand(COMMANDS.resume);
    await double.host.commands.executeCommand(COMMANDS.syncNow);
    assert.ok((await serverListing()).files.some((f) => f.path === 'while-paused.txt'));
    assert.equal(double.messages.filter((m) => m.level === 'error').length, 0);
  });

  it('a conflict keeps both versions and opens them as a diff with a notification', async () => {
    fs.writeFileSync(path.join(folder, 'plan.md'), 'v1\n');
    await signIn();
    await ext.controller.waitForStatus((s) => s.kind === 'upToDate');

    await double.host.commands.executeCommand(COMMANDS.pause);
    fs.writeFileSync(path.join(folder, 'plan.md'), 'edited here\n');
    await editOnServer('plan.md', Buffer.from('edited on another device\n'));
    await double.host.commands.executeCommand(COMMANDS.resume);
    await double.host.commands.executeCommand(COMMANDS.syncNow);

    const diff = double.externalCommands.find((c) => c.id === 'vscode.diff');
    assert.ok(diff, 'vscode.diff was opened');
    const [left, right] = diff.args as [vscode.Uri, vscode.Uri];
    assert.equal(right.fsPath, path.join(folder, 'plan.md'));
    assert.match(path.basename(left.fsPath), /^plan \(conflicted copy from .+\)\.md$/);
    assert.equal(fs.readFileSync(left.fsPath, 'utf8'), 'edited here\n', 'your version is in the copy');
    assert.equal(fs.readFileSync(right.fsPath, 'utf8'), 'edited on another device\n', "the server's version is at the path");
    assert.ok(double.messages.some((m) => m.level === 'warning' && m.message.includes('kept both versions of plan.md')));
    assert.ok(double.channels[0]!.lines.some((l) => l.includes('Conflict')));
  });

  it('a device revoked on the website signs this window out, forgets the token and says so', async () => {
    const device = await sync.signIn(stack.url, user.username, user.password, { name: 'soon revoked', kind: 'vscode' });
    await sync.signOut(stack.url, device.deviceToken);
    const second = createVscodeDouble(path.join(dir, 'storage2'));
    second.workspaceFolders.push(workspaceFolder(folder));
    second.secrets.values.set(
      'mydropbox.device',
      JSON.stringify({ serverUrl: stack.url, username: user.username, deviceToken: device.deviceToken }),
    );
    const revoked = await activateExtension(second.host, second.context, sync);
    try {
      await revoked.controller.waitForStatus((s) => s.kind === 'signedOut');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(second.secrets.values.size, 0, 'the refused token is forgotten');
      assert.equal(second.statusItems[0]!.text, '$(sign-in) MyDropbox: Sign In');
      assert.ok(second.messages.some((m) => m.level === 'warning' && /no longer accepts this device/.test(m.message)));
    } finally {
      await revoked.controller.stop();
      await second.dispose();
    }
  });

  it('Sign Out stops the engine: later edits stay local and the status bar offers to sign in', async () => {
    await signIn();
    await ext.controller.waitForStatus((s) => s.kind === 'upToDate');
    await double.host.commands.executeCommand(COMMANDS.signOut);
    assert.equal(double.statusItems[0]!.text, '$(sign-in) MyDropbox: Sign In');
    fs.writeFileSync(path.join(folder, 'after-sign-out.txt'), 'stays here\n');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!(await serverListing()).files.some((f) => f.path === 'after-sign-out.txt'));
  });
});
