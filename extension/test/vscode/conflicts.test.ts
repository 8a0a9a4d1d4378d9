// A conflict opens the two versions side by side with a notification, and a burst of conflicts does not flood the editor.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as vscode from 'vscode';
import { COMMANDS } from '../../src/commands';
import { ConflictNotifier } from '../../src/conflicts';
import { createVscodeDouble } from './double';

describe('conflict notifications', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-ext-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("opens vscode.diff of your version (the conflicted copy) against the server's, and says where yours went", async () => {
    const double = createVscodeDouble(dir);
    const notifier = new ConflictNotifier(double.host, COMMANDS.showLog);
    await notifier.notify('/home/a/myDropbox', {
      path: 'notes/plan.md',
      conflictPath: 'notes/plan (conflicted copy from laptop 2026-01-01).md',
    });

    assert.equal(double.externalCommands.length, 1);
    const [diff] = double.externalCommands;
    assert.equal(diff!.id, 'vscode.diff');
    const [left, right, title] = diff!.args as [vscode.Uri, vscode.Uri, string];
    assert.equal(left.fsPath, '/home/a/myDropbox/notes/plan (conflicted copy from laptop 2026-01-01).md');
    assert.equal(right.fsPath, '/home/a/myDropbox/notes/plan.md');
    assert.equal(title, "plan.md: your version ↔ server's version");
    assert.equal(double.messages.length, 1);
    assert.equal(double.messages[0]!.level, 'warning');
    assert.match(
      double.messages[0]!.message,
      /kept both versions of notes\/plan\.md: .*your version is saved as "plan \(conflicted copy from laptop 2026-01-01\)\.md"/,
    );
  });

  it('opens at most three diffs a minute and only notifies for the rest', async () => {
    const double = createVscodeDouble(dir);
    let now = 1_000_000;
    const notifier = new ConflictNotifier(double.host, COMMANDS.showLog, () => now);
    for (let i = 0; i < 5; i++) await notifier.notify('/f', { path: `f${i}.txt`, conflictPath: `f${i} (conflicted copy).txt` });
    assert.equal(double.externalCommands.length, 3);
    assert.equal(double.messages.length, 5);
    assert.match(double.messages[4]!.message, /More conflicts are listed in the log/);

    now += 61_000;
    await notifier.notify('/f', { path: 'later.txt', conflictPath: 'later (conflicted copy).txt' });
    assert.equal(double.externalCommands.length, 4);
  });

  it('"Show Log" on the notification opens the log', async () => {
    const double = createVscodeDouble(dir);
    let ran = 0;
    double.commands.set(COMMANDS.showLog, () => ran++);
    double.answerMessages = () => 'Show Log';
    await new ConflictNotifier(double.host, COMMANDS.showLog).notify('/f', { path: 'a', conflictPath: 'a (conflicted copy)' });
    await new Promise((r) => setImmediate(r));
    assert.equal(ran, 1);
  });
});
