// The status bar item: its text, tooltip, click action and colour for every sync status.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COMMANDS } from '../../src/commands';
import { describeStatus, SyncStatusBar, type ShownStatus } from '../../src/statusBar';
import { createVscodeDouble } from './double';

const context = { serverUrl: 'http://127.0.0.1:3000', username: 'alice', folder: '/home/alice/myDropbox' };
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('status bar', () => {
  const cases: { status: ShownStatus; text: string; command: string; background?: string; tooltip: RegExp[] }[] = [
    {
      status: { kind: 'upToDate', lastSyncAt: NOW - 2_000 },
      text: '$(check) MyDropbox',
      command: COMMANDS.showMenu,
      tooltip: [/up to date/, /Last sync: just now/],
    },
    {
      status: { kind: 'upToDate', lastSyncAt: NOW - 42_000 },
      text: '$(check) MyDropbox',
      command: COMMANDS.showMenu,
      tooltip: [/Last sync: 42 s ago/],
    },
    { status: { kind: 'upToDate' }, text: '$(check) MyDropbox', command: COMMANDS.showMenu, tooltip: [/Last sync: not yet/] },
    {
      status: { kind: 'syncing', pending: 3 },
      text: '$(sync~spin) Syncing 3 files',
      command: COMMANDS.showMenu,
      tooltip: [/syncing 3 files/],
    },
    {
      status: { kind: 'syncing', pending: 1 },
      text: '$(sync~spin) Syncing 1 file',
      command: COMMANDS.showMenu,
      tooltip: [/syncing 1 file$/m],
    },
    {
      status: { kind: 'syncing', pending: 0 },
      text: '$(sync~spin) Syncing',
      command: COMMANDS.showMenu,
      tooltip: [/^MyDropbox: syncing$/m],
    },
    { status: { kind: 'paused' }, text: '$(debug-pause) MyDropbox paused', command: COMMANDS.showMenu, tooltip: [/paused/, /Resume Sync/] },
    {
      status: { kind: 'offline', reason: 'ECONNREFUSED', retryAt: NOW + 8_000 },
      text: '$(debug-disconnect) MyDropbox offline',
      command: COMMANDS.showMenu,
      background: 'statusBarItem.warningBackground',
      tooltip: [/offline \(ECONNREFUSED\)/, /Retrying in 8 s/, /sent when the server is back/],
    },
    {
      status: { kind: 'signedOut' },
      text: '$(sign-in) MyDropbox: Sign In',
      command: COMMANDS.showMenu,
      tooltip: [/signed out/, /Click to sign in/],
    },
    {
      status: { kind: 'error', message: 'Quota exceeded: 5.0 GB used of 5 GB' },
      text: '$(error) MyDropbox error',
      command: COMMANDS.showMenu,
      background: 'statusBarItem.errorBackground',
      tooltip: [/Quota exceeded: 5.0 GB used of 5 GB/, /show the log/],
    },
    { status: { kind: 'noFolder' }, text: '$(folder) MyDropbox: Choose Folder', command: COMMANDS.showMenu, tooltip: [/no folder/] },
    {
      status: { kind: 'restricted' },
      text: '$(workspace-untrusted) MyDropbox: Restricted Mode',
      command: COMMANDS.showMenu,
      background: 'statusBarItem.warningBackground',
      tooltip: [/not syncing this folder until you trust it/, /manage workspace trust/],
    },
  ];

  for (const c of cases) {
    it(`shows ${JSON.stringify(c.status)}`, () => {
      const view = describeStatus(c.status, context, COMMANDS, NOW);
      assert.equal(view.text, c.text);
      assert.equal(view.command, c.command);
      assert.equal(view.background, c.background);
      for (const pattern of c.tooltip) assert.match(view.tooltip, pattern);
      assert.match(view.tooltip, /Signed in as: alice/);
      assert.match(view.tooltip, /Server: http:\/\/127\.0\.0\.1:3000/);
    });
  }

  it('covers every status kind the engine can report', () => {
    const kinds = new Set(cases.map((c) => c.status.kind));
    assert.deepEqual([...kinds].sort(), ['error', 'noFolder', 'offline', 'paused', 'restricted', 'signedOut', 'syncing', 'upToDate']);
  });

  it('counts the items not synced in the tooltip', () => {
    const view = describeStatus({ kind: 'error', message: 'x' }, { ...context, notSynced: 3 }, COMMANDS, NOW);
    assert.match(view.tooltip, /3 items not synced/);
  });

  it('leaves out details it does not know', () => {
    const view = describeStatus({ kind: 'signedOut' }, {}, COMMANDS, NOW);
    assert.doesNotMatch(view.tooltip, /Signed in as|Server:|Folder:/);
  });

  it('renders into one left-aligned item with a theme colour only when attention is needed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdb-ext-'));
    try {
      const double = createVscodeDouble(dir);
      const bar = new SyncStatusBar(double.host, COMMANDS);
      assert.equal(double.statusItems.length, 1);
      const item = double.statusItems[0]!;
      assert.equal(item.alignment, 1);
      assert.equal(item.name, 'MyDropbox');
      assert.equal(item.visible, false);

      bar.show({ kind: 'error', message: 'disk full' }, context);
      assert.equal(item.visible, true);
      assert.equal(item.text, '$(error) MyDropbox error');
      assert.equal(item.command, COMMANDS.showMenu, 'every state opens the menu of what applies now');
      assert.equal((item.backgroundColor as { id: string } | undefined)?.id, 'statusBarItem.errorBackground');
      assert.equal(item.accessibilityInformation?.label, 'MyDropbox: disk full');

      bar.show({ kind: 'syncing', pending: 2 }, context);
      assert.equal(item.text, '$(sync~spin) Syncing 2 files');
      assert.equal(item.backgroundColor, undefined);

      bar.dispose();
      assert.equal(item.disposed, true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
