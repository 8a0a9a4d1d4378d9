// The MyDropbox file menu, conflict resolution, context keys, the status menu, workspace trust and the walkthrough, against the real engine and servers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type * as vscode from 'vscode';
import { COMMANDS, menuItems, WALKTHROUGH_ID } from '../../src/commands';
import { CONTEXT_KEYS } from '../../src/contextKeys';
import { escapeIgnoreRule } from '../../src/fileCommands';
import { startStack, type Stack } from '../../../test/support/stack';
import { eventually, startGlue, type Glue } from './glue';

describe('file commands, conflicts, context keys and trust', function () {
  this.timeout(60_000);
  let stack: Stack;
  let glue: Glue;

  before(async () => (stack = await startStack()));
  after(async () => stack?.close());
  afterEach(async () => glue?.close());

  const run = (id: string, ...args: unknown[]) => glue.double.host.commands.executeCommand(id, ...args);
  const uri = (rel: string) => glue.double.host.Uri.file(path.join(glue.folder, rel));
  const menuLabels = () => menuItems(glue.ext.controller, glue.ext.contextKeys).map((i) => i.label.replace(/^\$\([\w-]+\) /, ''));

  /** A file edited here while paused and on the server meanwhile: both kept, the local edit as a conflicted copy. */
  async function makeConflict(name: string): Promise<string> {
    glue.write(name, 'v1\n');
    await run(COMMANDS.syncNow);
    await run(COMMANDS.pause);
    glue.write(name, 'mine\n');
    await glue.editOnServer(name, Buffer.from('theirs\n'));
    await run(COMMANDS.resume);
    await run(COMMANDS.syncNow);
    const copy = fs.readdirSync(glue.folder).find((f) => f.startsWith(`${path.parse(name).name} (conflicted copy from `));
    assert.ok(copy, 'a conflicted copy was made');
    return copy;
  }

  it('sets the context keys the menus read, and offers in the status menu what applies in each state', async () => {
    glue = await startGlue(stack);
    const keys = glue.double.contextKeys;
    assert.equal(keys.get(CONTEXT_KEYS.signedIn), false);
    assert.deepEqual(menuLabels().slice(0, 2), ['Sign In', 'Get Started']);
    assert.ok(!menuLabels().includes('Sign Out'));

    await glue.signIn();
    assert.equal(keys.get(CONTEXT_KEYS.signedIn), true);
    assert.equal(keys.get(CONTEXT_KEYS.active), true);
    assert.equal(keys.get(CONTEXT_KEYS.upToDate), true);
    assert.equal(keys.get(CONTEXT_KEYS.paused), false);
    assert.equal(await glue.ext.history.probe(), true, 'the server keeps version history');
    assert.deepEqual(menuLabels(), [
      'Sync Now',
      'Pause Sync',
      'Restore Deleted Files…',
      'Show Activity',
      'Browse Remote Files',
      'Open Website',
      'Show Log',
      'Sign Out',
    ]);

    await run(COMMANDS.pause);
    assert.equal(keys.get(CONTEXT_KEYS.paused), true);
    assert.equal(menuLabels()[0], 'Resume Sync');
    assert.ok(!menuLabels().includes('Pause Sync'));
    await run(COMMANDS.resume);
    await glue.ext.controller.waitForStatus((s) => s.kind === 'upToDate');
    assert.equal(keys.get(CONTEXT_KEYS.paused), false);

    glue.double.answerQuickPick = (items) => items.find((i) => i.label.includes('Pause Sync'));
    await run(COMMANDS.showMenu);
    assert.equal(glue.ext.controller.status.kind, 'paused', 'the status bar menu runs what was picked');
  });

  it('Add to .mydropboxignore writes an anchored rule; the file stays here and on the server and shows as ignored', async () => {
    glue = await startGlue(stack);
    glue.write('build/out.log', 'log\n');
    glue.write('keep.txt', 'keep\n');
    glue.write('[draft] #1.md', 'odd name\n');
    await glue.signIn();
    await run(COMMANDS.addToIgnore, uri('build'), [uri('build'), uri('[draft] #1.md')]);
    const rules = fs.readFileSync(path.join(glue.folder, '.mydropboxignore'), 'utf8');
    assert.match(rules, /^\/build\/$/m);
    assert.match(rules, /^\/\\\[draft\\\] #1\.md$/m);
    assert.ok(glue.double.messages.some((m) => /no longer syncs build, \[draft\] #1\.md/.test(m.message)));
    await run(COMMANDS.addToIgnore, uri('build'));
    assert.ok(
      glue.double.messages.some((m) => /already ignores/.test(m.message)),
      'a rule is never written twice',
    );

    const decorate = (rel: string) =>
      glue.double.decorationProviders[0]!.provideFileDecoration(uri(rel), undefined as never) as vscode.FileDecoration | undefined;
    await eventually('build/out.log shown as ignored', () => /ignored/.test(decorate('build/out.log')?.tooltip ?? ''));
    assert.equal(decorate('keep.txt')?.badge, '✓');
    await run(COMMANDS.syncNow);
    const server = (await glue.serverFiles()).map((f) => f.path);
    assert.ok(server.includes('build/out.log'), 'ignoring never deletes the server copy');
    assert.ok(server.includes('.mydropboxignore'), 'the rules sync to other devices');
    assert.ok(fs.existsSync(path.join(glue.folder, 'build/out.log')));
  });

  it('Open on Website and Compare with Server open the right places', async () => {
    glue = await startGlue(stack);
    glue.write('docs/plan.md', 'here\n');
    await glue.signIn();
    await run(COMMANDS.openOnWebsite, uri('docs/plan.md'));
    assert.equal(String(glue.double.opened.at(-1)), `${stack.url}/files?dir=docs`);
    await run(COMMANDS.openOnWebsite, uri('docs'));
    assert.equal(String(glue.double.opened.at(-1)), `${stack.url}/files?dir=docs`);
    await run(COMMANDS.openOnWebsite, { kind: 'folder', path: 'docs' });
    assert.equal(String(glue.double.opened.at(-1)), `${stack.url}/files?dir=docs`);

    glue.double.activeEditorUri = uri('docs/plan.md'); // from the palette: the active editor's file
    await run(COMMANDS.compareWithServer);
    const diff = glue.double.externalCommands.find((c) => c.id === 'vscode.diff')!;
    const [left, right, title] = diff.args as [vscode.Uri, vscode.Uri, string];
    assert.equal(left.toString(), 'mydropbox:///docs/plan.md');
    assert.equal(right.fsPath, path.join(glue.folder, 'docs/plan.md'));
    assert.equal(title, 'plan.md (server ↔ this computer)');

    await run(COMMANDS.compareWithServer, glue.double.host.Uri.file(path.join(glue.dir, 'outside.txt')));
    assert.match(glue.double.messages.at(-1)!.message, /Choose a file in your MyDropbox folder/);
  });

  it('a conflicted copy: hasConflicts, Resolve Conflicts lists it, Keep Mine puts your version back at the path and the server gets it', async () => {
    glue = await startGlue(stack);
    await glue.signIn();
    const copy = await makeConflict('plan.md');
    await eventually('hasConflicts', () => glue.double.contextKeys.get(CONTEXT_KEYS.hasConflicts) === true);
    assert.ok(menuLabels().includes('Resolve Conflicts…'));

    glue.double.answerQuickPick = (items) => items[0];
    const diffsBefore = glue.double.externalCommands.filter((c) => c.id === 'vscode.diff').length;
    await run(COMMANDS.resolveConflicts);
    assert.equal(glue.double.quickPicks.at(-1)!.items[0]!.description, copy);
    const diffs = glue.double.externalCommands.filter((c) => c.id === 'vscode.diff');
    assert.equal(diffs.length, diffsBefore + 1);
    const [left, right] = diffs.at(-1)!.args as [vscode.Uri, vscode.Uri];
    assert.deepEqual([path.basename(left.fsPath), path.basename(right.fsPath)], [copy, 'plan.md']);

    glue.double.answerMessages = (m) => (m.options.modal ? 'Keep Mine' : undefined);
    await run(COMMANDS.keepMine, uri(copy));
    assert.equal(fs.readFileSync(path.join(glue.folder, 'plan.md'), 'utf8'), 'mine\n');
    assert.ok(!fs.existsSync(path.join(glue.folder, copy)));
    await run(COMMANDS.syncNow);
    const server = await glue.serverFiles();
    assert.ok(!server.some((f) => f.path === copy), 'the copy is gone from the server too');
    assert.equal(server.find((f) => f.path === 'plan.md')?.size, 'mine\n'.length);
    await eventually('hasConflicts cleared', () => glue.double.contextKeys.get(CONTEXT_KEYS.hasConflicts) === false);
  });

  it("Keep Theirs moves your copy to the trash and keeps the server's version; a dismissed question changes nothing", async () => {
    glue = await startGlue(stack);
    await glue.signIn();
    const copy = await makeConflict('notes.txt');
    await run(COMMANDS.keepTheirs, uri(copy)); // dismissed
    assert.ok(fs.existsSync(path.join(glue.folder, copy)));
    glue.double.answerMessages = (m) => (m.options.modal ? 'Keep Theirs' : undefined);
    await run(COMMANDS.keepTheirs, uri(copy));
    assert.deepEqual(
      glue.double.deleted.map((d) => [path.basename(d.uri.fsPath), d.useTrash]),
      [[copy, true]],
    );
    assert.equal(fs.readFileSync(path.join(glue.folder, 'notes.txt'), 'utf8'), 'theirs\n');
    await run(COMMANDS.keepMine, uri('notes.txt'));
    assert.match(glue.double.messages.at(-1)!.message, /not a conflicted copy/);
  });

  it('does not sync a myDropbox folder in an untrusted workspace until it is trusted', async () => {
    glue = await startGlue(stack, { trusted: false });
    glue.write('secret.txt', 'from a project I just cloned\n');
    glue.double.answerInputs(stack.url, glue.user.username, glue.user.password);
    await run(COMMANDS.signIn);
    assert.equal(glue.ext.controller.status.kind, 'restricted');
    assert.equal(glue.ext.controller.syncEngine, undefined);
    assert.equal(glue.double.contextKeys.get(CONTEXT_KEYS.restricted), true);
    assert.equal(glue.double.statusItems[0]!.text, '$(workspace-untrusted) MyDropbox: Restricted Mode');
    assert.equal(menuItems(glue.ext.controller, glue.ext.contextKeys)[0]!.command, 'workbench.trust.manage');
    assert.deepEqual(await glue.serverFiles(), []);

    glue.double.trusted = true;
    glue.double.trustGranted.fire();
    await glue.ext.controller.waitForStatus((s) => s.kind === 'upToDate');
    assert.ok((await glue.serverFiles()).some((f) => f.path === 'secret.txt'));
    assert.equal(glue.double.contextKeys.get(CONTEXT_KEYS.restricted), false);
  });

  it('opens the walkthrough on the first start only, and Get Started opens it any time', async () => {
    glue = await startGlue(stack);
    const opened = () => glue.double.externalCommands.filter((c) => c.id === 'workbench.action.openWalkthrough');
    assert.deepEqual(opened()[0]?.args, [WALKTHROUGH_ID, false]);
    assert.equal(glue.double.globalState.get('mydropbox.walkthroughShown'), true);
    await run(COMMANDS.getStarted);
    assert.equal(opened().length, 2);
  });

  it('escapes what gitignore would read as a pattern', () => {
    assert.equal(escapeIgnoreRule('a*b?.txt'), 'a\\*b\\?.txt');
    assert.equal(escapeIgnoreRule('!important'), '\\!important');
    assert.equal(escapeIgnoreRule('#tag'), '\\#tag');
    assert.equal(escapeIgnoreRule('trailing '), 'trailing\\ ');
  });
});
