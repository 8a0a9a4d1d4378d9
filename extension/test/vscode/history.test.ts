// Version history in the editor against the real servers: the Timeline registered where the proposal is on, the server's versions in it, restores of versions and of deleted files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type * as vscode from 'vscode';
import { CONTEXT_KEYS } from '../../src/contextKeys';
import { registerTimeline, TIMELINE_SOURCE, VERSION_ITEM, type TimelineProvider } from '../../src/history';
import { eventually, glueForEachTest, type Glue } from './glue';

describe('version history in the editor', function () {
  this.timeout(60_000);
  let glue: Glue;
  glueForEachTest((g) => (glue = g));

  it('registers a Timeline source for files where the editor allows the proposal, and does without it elsewhere', () => {
    assert.equal(glue.double.timelineProviders.length, 1);
    const { scheme, provider } = glue.double.timelineProviders[0]!;
    assert.deepEqual(scheme, ['file', 'vscode-remote'], 'local and remote windows');
    assert.equal((provider as TimelineProvider).id, TIMELINE_SOURCE);
    assert.equal((provider as TimelineProvider).label, 'MyDropbox');
    const refusing = {
      registerTimelineProvider() {
        throw new Error("Extension 'mydropbox.mydropbox' CANNOT use API proposal: timeline.");
      },
    };
    assert.equal(registerTimeline(refusing, provider as TimelineProvider), undefined);
    assert.equal(registerTimeline({}, provider as TimelineProvider), undefined);
  });

  it("shows the server's versions of a file in the Timeline, and a restore comes back here with the replaced version kept", async () => {
    const file = glue.write('a.txt', 'one\n');
    await glue.signIn();
    assert.equal(await glue.ext.history.probe(), true, 'the server keeps history');
    assert.equal(glue.double.contextKeys.get(CONTEXT_KEYS.historyAvailable), true, 'the history commands show');
    await glue.editOnServer('a.txt', Buffer.from('two, from another device\n'));
    await eventually('the edit here', () => fs.readFileSync(file, 'utf8') === 'two, from another device\n');

    const provider = glue.double.timelineProviders[0]!.provider as TimelineProvider;
    const uri = glue.double.host.Uri.file(file);
    const timeline = await provider.provideTimeline(uri, {}, undefined as never);
    assert.equal(timeline.items.length, 1, 'one earlier version');
    const [item] = timeline.items;
    assert.equal(item!.description, '4 B');
    assert.equal(item!.contextValue, VERSION_ITEM);
    assert.equal(item!.command?.command, 'vscode.diff', 'opens as a diff against the file here');

    assert.ok(await glue.ext.history.restore('a.txt', item!.id!));
    await eventually('the restored version here', () => fs.readFileSync(file, 'utf8') === 'one\n');
    const server = (await glue.serverFiles()).find((f) => f.path === 'a.txt')!;
    assert.equal(server.size, 4, 'the server has it too');
    const after = await provider.provideTimeline(uri, {}, undefined as never);
    assert.equal(after.items.length, 2, 'the version the restore replaced is kept');
  });

  it('Restore Deleted Files… brings back a file deleted here, on the server and here', async () => {
    const file = glue.write('gone.txt', 'keep me\n');
    await glue.signIn();
    fs.rmSync(file);
    await eventually('the delete on the server', async () => !(await glue.serverFiles()).some((f) => f.path === 'gone.txt'));
    glue.double.answerQuickPick = (items) => [items.find((i) => i.label.includes('gone.txt'))!] as unknown as vscode.QuickPickItem;
    assert.equal(await glue.ext.history.restoreDeleted(), 1);
    const shown = glue.double.quickPicks.at(-1)!;
    assert.ok(shown.options?.canPickMany, 'several can be chosen at once');
    await eventually('the file back here', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8') === 'keep me\n');
  });
});
