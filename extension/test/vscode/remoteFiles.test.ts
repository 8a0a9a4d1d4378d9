// Remote Files and the mydropbox: file system against the real servers: the server's tree folder by folder, files opened read-only, Download…, Reveal in Explorer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type * as vscode from 'vscode';
import { COMMANDS } from '../../src/commands';
import { REMOTE_FILES_VIEW } from '../../src/remoteFilesView';
import type { ServerEntry } from '../../src/serverFiles';
import { SERVER_SCHEME } from '../../src/syncPaths';
import { labelOf, type EventEmitterDouble, type TreeViewDouble } from './double';
import { eventually, glueForEachTest, type Glue } from './glue';

describe('Remote Files view and the mydropbox: file system', function () {
  this.timeout(60_000);
  let glue: Glue;
  glueForEachTest((g) => (glue = g));

  const view = () => glue.double.treeViews.get(REMOTE_FILES_VIEW) as TreeViewDouble<ServerEntry>;
  const serverFs = () => glue.double.fileSystems.get(SERVER_SCHEME)!;
  const serverUri = (p: string) => glue.double.host.Uri.from({ scheme: SERVER_SCHEME, path: `/${p}` });

  async function seed(): Promise<void> {
    await glue.editOnServer('b.txt', Buffer.from('bee\n'));
    await glue.editOnServer('docs/readme.md', Buffer.from('# Read me\n'));
    await glue.editOnServer('a/deep/x.bin', Buffer.alloc(2_500, 1));
  }

  it('signed out: no rows (the welcome offers Sign In), and the file system says to sign in', async () => {
    assert.deepEqual(await view().rows(), []);
    assert.equal(view().message, undefined);
    await assert.rejects(Promise.resolve(serverFs().provider.readFile(serverUri('b.txt'))), /Sign in to MyDropbox/);
  });

  it("lists the server's tree folder by folder, folders first, with size and modified", async () => {
    await seed();
    await glue.signIn();
    const top = await view().rows();
    assert.deepEqual(
      top.map((r) => [labelOf(r.item), r.item.contextValue, r.children.length]),
      [
        ['a', 'remoteFolder', 0],
        ['docs', 'remoteFolder', 0],
        ['b.txt', 'remoteFile', 0],
      ],
      'folders first, collapsed until opened',
    );
    const file = top[2]!.item;
    assert.equal(file.description, '4 B · just now · Test daemon', 'size, when and which device changed it last');
    assert.match(String((file.tooltip as vscode.MarkdownString).value), /Size: 4 B/);
    assert.match(String((file.tooltip as vscode.MarkdownString).value), /Last changed on: Test daemon/);
    assert.deepEqual(
      [file.command?.command, String((file.command?.arguments?.[0] as vscode.Uri).toString())],
      ['vscode.open', 'mydropbox:///b.txt'],
      'a click opens the server copy read-only',
    );
    const open = await view().rows(() => true);
    const deep = open[0]!.children[0]!.children[0]!;
    assert.equal(labelOf(deep.item), 'x.bin');
    assert.equal(deep.item.description, '2.5 KB · just now · Test daemon');
    assert.equal(glue.ext.remoteFiles.getParent(deep.element)?.path, 'a/deep');
  });

  it('opens server files read-only: stat, directory, bytes; writes refused, missing files not found', async () => {
    await seed();
    await glue.signIn();
    const { provider, options } = serverFs();
    assert.equal(options?.isReadonly, true);
    assert.equal(Buffer.from(await provider.readFile(serverUri('docs/readme.md'))).toString(), '# Read me\n');
    const stat = await provider.stat(serverUri('a/deep/x.bin'));
    assert.deepEqual([stat.type, stat.size], [1, 2_500]);
    assert.deepEqual(await provider.readDirectory(serverUri('')), [
      ['a', 2],
      ['b.txt', 1],
      ['docs', 2],
    ]);
    assert.throws(() => provider.writeFile(serverUri('b.txt'), Buffer.from('x'), { create: true, overwrite: true }), /read-only/);
    assert.throws(() => provider.delete(serverUri('b.txt'), { recursive: false }), /read-only/);
    await assert.rejects(Promise.resolve(provider.readFile(serverUri('nope.txt'))), /FileNotFound/);
    await assert.rejects(Promise.resolve(provider.readFile(serverUri('../etc/passwd'))), /FileNotFound/);
  });

  it('Download… saves a copy where the person chooses, Reveal in Explorer shows the synced copy', async () => {
    await seed();
    await glue.signIn();
    const entry = (await view().rows()).find((r) => labelOf(r.item) === 'b.txt')!.element;
    const target = path.join(glue.dir, 'saved-b.txt');
    glue.double.answerSaveDialog = () => glue.double.host.Uri.file(target);
    await glue.double.host.commands.executeCommand(COMMANDS.downloadRemoteFile, entry);
    assert.equal(fs.readFileSync(target, 'utf8'), 'bee\n');
    assert.ok(!fs.existsSync(`${target}.mydropbox-download`), 'no partial file left');

    await glue.double.host.commands.executeCommand(COMMANDS.revealLocalCopy, entry);
    const reveal = glue.double.externalCommands.find((c) => c.id === 'revealInExplorer');
    assert.equal((reveal?.args[0] as vscode.Uri).fsPath, path.join(glue.folder, 'b.txt'));
  });

  it('follows the server: a file added elsewhere appears without a manual refresh', async () => {
    await glue.signIn();
    assert.deepEqual(await view().rows(), []);
    assert.match(view().message ?? '', /empty/);
    const refreshes = (glue.ext.remoteFiles as unknown as { changes: EventEmitterDouble<unknown> }).changes.fired;
    const before = refreshes.length;
    await glue.editOnServer('later.txt', Buffer.from('new\n'));
    await eventually('the view told to refresh', () => refreshes.length > before);
    assert.ok((await view().rows()).some((r) => labelOf(r.item) === 'later.txt'));
    assert.equal(view().message, undefined);
  });
});
