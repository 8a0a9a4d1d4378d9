// Activation against the double: every contributed command is registered, the manifest is sound, nothing shows in an unrelated workspace.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sync from '../../src/sync';
import { activateExtension } from '../../src/activation';
import { COMMANDS } from '../../src/commands';
import { DEFAULT_SERVER_URL, readSettings, resolveSyncFolder } from '../../src/config';
import { createVscodeDouble, workspaceFolder } from './double';

interface Manifest {
  name: string;
  publisher: string;
  main: string;
  icon: string;
  engines: { vscode: string };
  activationEvents: string[];
  devDependencies: Record<string, string>;
  contributes: {
    commands: { command: string; title: string; category: string }[];
    menus: { commandPalette: { command: string; when: string }[] };
    configuration: {
      properties: Record<string, { type: string; default: unknown; markdownDescription?: string; description?: string; scope?: string }>;
    };
  };
}

const extensionDir = path.resolve(__dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8')) as Manifest;

describe('extension activation and manifest', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-ext-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('registers exactly the commands the manifest contributes, and disposes them all', async () => {
    const double = createVscodeDouble(dir);
    await activateExtension(double.host, double.context, sync);
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.deepEqual([...double.commands.keys()].sort(), contributed);
    assert.deepEqual(Object.values(COMMANDS).sort(), contributed);
    assert.equal(double.uriHandlers.length, 1);
    assert.equal(double.channels.length, 1);
    assert.equal(double.channels[0]!.name, 'MyDropbox');

    await double.dispose();
    assert.equal(double.commands.size, 0);
    assert.equal(double.uriHandlers.length, 0);
    assert.ok(double.statusItems.every((item) => item.disposed));
  });

  it('stays out of the status bar in an unrelated workspace when signed out', async () => {
    const double = createVscodeDouble(dir);
    double.workspaceFolders.push(workspaceFolder(path.join(dir, 'some-project')));
    const ext = await activateExtension(double.host, double.context, sync);
    assert.equal(ext.controller.status.kind, 'signedOut');
    assert.equal(double.statusItems[0]!.visible, false);
    await double.dispose();
  });

  it('a device signed in elsewhere shows nothing in an unrelated window, until the person signs in there', async () => {
    const double = createVscodeDouble(dir);
    double.secrets.values.set(
      'mydropbox.device',
      JSON.stringify({ serverUrl: 'http://127.0.0.1:9', username: 'alice', deviceToken: 'mdbd_x' }),
    );
    const ext = await activateExtension(double.host, double.context, sync);
    assert.equal(ext.controller.status.kind, 'noFolder');
    assert.equal(double.statusItems[0]!.visible, false);

    await ext.controller.adopt({ serverUrl: 'http://127.0.0.1:9', username: 'alice', deviceToken: 'mdbd_y' });
    const item = double.statusItems[0]!;
    assert.equal(item.visible, true);
    assert.equal(item.text, '$(folder) MyDropbox: Choose Folder');
    assert.equal(item.command, COMMANDS.showMenu);
    double.answerQuickPick = (items) => items[0];
    await double.host.commands.executeCommand(COMMANDS.showMenu);
    assert.match(double.quickPicks[0]!.items[0]!.label, /Choose Sync Folder/, 'the menu offers the one thing to do first');
    await double.dispose();
  });

  it('Choose Sync Folder saves the picked folder in mydropbox.folder', async () => {
    const double = createVscodeDouble(dir);
    const ext = await activateExtension(double.host, double.context, sync);
    const picked = path.join(dir, 'picked');
    double.answerOpenDialog = () => [double.host.Uri.file(picked)];
    await double.host.commands.executeCommand(COMMANDS.chooseFolder);
    assert.deepEqual(
      double.settings.writes.map((w) => [w.key, w.value]),
      [['mydropbox.folder', picked]],
    );
    assert.equal(ext.controller.syncFolder, picked);
    await double.dispose();
  });

  it('offers to sign in for a workspace folder named myDropbox', async () => {
    const double = createVscodeDouble(dir);
    const folder = path.join(dir, 'myDropbox');
    double.workspaceFolders.push(workspaceFolder(folder));
    const ext = await activateExtension(double.host, double.context, sync);
    const item = double.statusItems[0]!;
    assert.equal(item.visible, true);
    assert.equal(item.text, '$(sign-in) MyDropbox: Sign In');
    assert.equal(item.command, COMMANDS.showMenu);
    assert.equal(ext.controller.syncFolder, folder);
    await double.dispose();
  });

  it('follows mydropbox.folder, which wins over the workspace folder', async () => {
    const double = createVscodeDouble(dir);
    double.workspaceFolders.push(workspaceFolder(path.join(dir, 'myDropbox')));
    const ext = await activateExtension(double.host, double.context, sync);
    await double.host.workspace.getConfiguration('mydropbox').update('folder', path.join(dir, 'elsewhere'), 1);
    await ext.controller.refresh();
    assert.equal(ext.controller.syncFolder, path.join(dir, 'elsewhere'));
    assert.match(String(double.statusItems[0]!.tooltip), /elsewhere/);
    await double.dispose();
  });

  it('commands that need a running sync explain what to do instead of failing', async () => {
    const double = createVscodeDouble(dir);
    await activateExtension(double.host, double.context, sync);
    for (const id of [COMMANDS.pause, COMMANDS.resume, COMMANDS.syncNow]) await double.host.commands.executeCommand(id);
    assert.equal(double.messages.length, 3);
    for (const m of double.messages) assert.match(m.message, /not syncing: sign in and open a folder named myDropbox/);
    await double.host.commands.executeCommand(COMMANDS.signOut);
    assert.match(double.messages[3]!.message, /not signed in/);
    await double.dispose();
  });

  it('Open Website opens the configured server, Show Log shows the channel', async () => {
    const double = createVscodeDouble(dir);
    double.settings.values.set('mydropbox.serverUrl', 'https://files.example.org');
    await activateExtension(double.host, double.context, sync);
    await double.host.commands.executeCommand(COMMANDS.openWebsite);
    assert.equal(double.opened.map(String).join(), 'https://files.example.org/');
    await double.host.commands.executeCommand(COMMANDS.showLog);
    assert.equal(double.channels[0]!.shown, 1);
    await double.dispose();
  });

  it('resolves folders: setting with ~, a workspace folder named exactly myDropbox, otherwise none', () => {
    const double = createVscodeDouble(dir);
    assert.equal(readSettings(double.host).serverUrl, DEFAULT_SERVER_URL);
    double.settings.values.set('mydropbox.folder', '~/Sync/box');
    assert.equal(readSettings(double.host).folder, path.join(os.homedir(), 'Sync/box'));
    const none = { serverUrl: DEFAULT_SERVER_URL, folder: undefined };
    assert.equal(resolveSyncFolder(none, [workspaceFolder('/a/mydropbox'), workspaceFolder('/a/myDropbox.old')]), undefined);
    assert.equal(resolveSyncFolder(none, [workspaceFolder('/a/x'), workspaceFolder('/b/myDropbox', 1)]), '/b/myDropbox');
    assert.equal(resolveSyncFolder(none, undefined), undefined);
  });
});
