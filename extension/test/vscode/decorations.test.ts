// File decorations against the real engine and servers: synced, pending upload, ignored, conflicted, not synced with its reason; live, and off by setting.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type * as vscode from 'vscode';
import { COMMANDS } from '../../src/commands';
import { DECORATION_COLORS } from '../../src/decorations';
import type { EventEmitterDouble } from './double';
import { eventually, glueForEachTest, type Glue } from './glue';

const QUOTA = 8_000_000;

describe('file decorations', function () {
  this.timeout(60_000);
  let glue: Glue;
  glueForEachTest((g) => (glue = g), { quotaBytes: QUOTA });

  const provider = () => glue.double.decorationProviders[0]!;
  const decorationOf = (rel: string) =>
    provider().provideFileDecoration(glue.double.host.Uri.file(path.join(glue.folder, rel)), undefined as never) as
      vscode.FileDecoration | undefined;
  const colorOf = (d: vscode.FileDecoration | undefined) => (d?.color as { id: string } | undefined)?.id;
  /** Every change the provider announced (undefined: all), as VS Code would have been told. */
  let changes: () => (vscode.Uri | vscode.Uri[] | undefined)[];

  beforeEach(() => {
    // The provider's emitter is the double's EventEmitter, which keeps what it fired.
    const emitter = (glue.ext.decorations as unknown as { changes: EventEmitterDouble<vscode.Uri | vscode.Uri[] | undefined> }).changes;
    changes = () => emitter.fired;
  });

  it('marks synced files ✓, a file written while paused ↑ (and says so at once), and decorates nothing outside the folder', async () => {
    glue.write('notes/a.txt', 'synced\n');
    await glue.signIn();
    const synced = decorationOf('notes/a.txt');
    assert.equal(synced?.badge, '✓');
    assert.equal(synced?.tooltip, 'Synced with MyDropbox');
    assert.equal(colorOf(synced), undefined, 'synced files keep their normal colour');
    assert.equal(synced?.propagate, false);

    await glue.double.host.commands.executeCommand(COMMANDS.pause);
    const before = changes().length;
    glue.write('notes/b.txt', 'waits\n');
    const pending = await eventually(
      'b.txt pending upload',
      () => decorationOf('notes/b.txt')?.badge === '↑' && decorationOf('notes/b.txt'),
    );
    assert.equal(pending.tooltip, 'Waiting to upload to MyDropbox');
    assert.equal(colorOf(pending), DECORATION_COLORS.pending);
    assert.equal(pending.propagate, true, 'the folder above shows something is waiting');
    await eventually('the change announced for b.txt', () =>
      changes()
        .slice(before)
        .some((c) => c === undefined || (Array.isArray(c) && c.some((u) => u.fsPath.endsWith('notes/b.txt')))),
    );

    assert.equal(decorationOf('notes'), undefined, 'folders get only what propagates from their files');
    assert.equal(
      provider().provideFileDecoration(glue.double.host.Uri.file(path.join(glue.dir, 'elsewhere.txt')), undefined as never),
      undefined,
    );
    assert.equal(provider().provideFileDecoration(glue.double.host.Uri.parse('untitled:Untitled-1'), undefined as never), undefined);

    await glue.double.host.commands.executeCommand(COMMANDS.resume);
    await eventually('b.txt synced after resume', () => decorationOf('notes/b.txt')?.badge === '✓');
  });

  it('shows ignored files greyed out and conflicted copies with !, and turns off with mydropbox.decorations', async () => {
    glue.write('draft.txt.swp', 'editor swap file\n');
    glue.write('plan (conflicted copy from laptop 2026-11-26 0815).md', 'mine\n');
    await glue.signIn();
    const ignored = decorationOf('draft.txt.swp');
    assert.equal(ignored?.badge, undefined);
    assert.equal(colorOf(ignored), DECORATION_COLORS.ignored);
    assert.match(ignored?.tooltip ?? '', /ignored/);
    const conflicted = decorationOf('plan (conflicted copy from laptop 2026-11-26 0815).md');
    assert.equal(conflicted?.badge, '!');
    assert.equal(colorOf(conflicted), DECORATION_COLORS.conflicted);
    assert.match(conflicted?.tooltip ?? '', /both versions were kept/);

    const before = changes().length;
    await glue.double.host.workspace.getConfiguration('mydropbox').update('decorations', false, 1);
    assert.equal(decorationOf('draft.txt.swp'), undefined);
    await eventually('a refresh of every decoration', () => changes().slice(before).includes(undefined));
    await glue.double.host.workspace.getConfiguration('mydropbox').update('decorations', true, 1);
    assert.equal(decorationOf('draft.txt.swp')?.tooltip, ignored?.tooltip);
  });

  it('marks a file the server refuses ✕ with the reason in its tooltip', async () => {
    await glue.signIn();
    glue.write('too-big.bin', Buffer.alloc(QUOTA + 1_000_000, 7));
    const refused = await eventually(
      'too-big.bin not synced',
      () => decorationOf('too-big.bin')?.badge === '✕' && decorationOf('too-big.bin'),
    );
    assert.equal(colorOf(refused), DECORATION_COLORS.notSynced);
    assert.match(refused.tooltip ?? '', /^Not synced: .*(quota|Quota)/);
    assert.ok(fs.existsSync(path.join(glue.folder, 'too-big.bin')), 'the file stays here');
  });
});
