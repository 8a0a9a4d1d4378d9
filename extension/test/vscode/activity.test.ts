// The Activity view against the real engine and servers: recent changes both ways, a transfer in progress, Cancel and Retry, items not synced.
import assert from 'node:assert/strict';
import { ACTIVITY_VIEW, describeTransfer, type ActivityNode } from '../../src/activityView';
import { COMMANDS } from '../../src/commands';
import { CONTEXT_KEYS } from '../../src/contextKeys';
import { labelOf, type RenderedRow, type TreeViewDouble } from './double';
import { eventually, glueForEachTest, type Glue } from './glue';

describe('Activity view', function () {
  this.timeout(60_000);
  let glue: Glue;
  glueForEachTest((g) => (glue = g));

  const view = () => glue.double.treeViews.get(ACTIVITY_VIEW) as TreeViewDouble<ActivityNode>;
  const group = async (label: RegExp): Promise<RenderedRow<ActivityNode> | undefined> =>
    (await view().rows()).find((r) => label.test(labelOf(r.item)));

  it('lists changes in both directions, newest first, each opening its file', async () => {
    glue.write('from-here.txt', 'made here\n');
    await glue.signIn();
    await glue.editOnServer('from-elsewhere.txt', Buffer.from('made on another device\n'));
    const recent = await eventually('both changes listed', async () => {
      const g = await group(/^Recent changes$/);
      return g && g.children.length >= 2 && g;
    });
    const rows = recent.children.map((r) => [labelOf(r.item), String(r.item.description)]);
    assert.deepEqual(rows[0], ['from-elsewhere.txt', 'downloaded · just now']);
    assert.deepEqual(rows[1], ['from-here.txt', 'uploaded · just now']);
    assert.equal(recent.children[0]!.item.command?.command, 'vscode.open');
    assert.equal(recent.children[0]!.item.contextValue, 'recent:downloaded');

    await glue.double.host.commands.executeCommand(COMMANDS.clearActivity);
    assert.equal(await group(/^Recent changes$/), undefined);
  });

  it('shows an upload in progress, Cancel stops it and lists it as not synced, Retry sends it', async () => {
    await glue.signIn();
    const seen: { rows: string[]; description: string }[] = [];
    // The moment the upload starts, as a person would see it and click Cancel on its row.
    const listening = glue.ext.controller.listen({
      activity: (e) => {
        if (e.kind !== 'started' || e.transfer.path !== 'video.bin') return;
        const node: ActivityNode = { kind: 'transfer', transfer: e.transfer };
        const item = view().provider.getTreeItem(node) as { description?: string; contextValue?: string };
        assert.equal(item.contextValue, 'transfer');
        seen.push({ rows: glue.ext.controller.syncEngine!.transfers().map((t) => t.path), description: String(item.description) });
        void glue.double.host.commands.executeCommand(COMMANDS.cancelTransfer, node);
      },
    });
    glue.write('video.bin', Buffer.alloc(9_000_000, 3));
    const notSynced = await eventually('video.bin listed as not synced', async () => {
      const g = await group(/^Not synced \(1\)$/);
      return g && g;
    });
    listening.dispose();
    assert.deepEqual(seen[0]?.rows, ['video.bin']);
    assert.match(seen[0]!.description, /^↑ 0% · 0 B of 9.0 MB$/);
    const row = notSynced.children[0]!;
    assert.equal(labelOf(row.item), 'video.bin');
    assert.match(String(row.item.description), /Cancelled; choose Retry/);
    assert.equal(row.item.contextValue, 'notSynced');
    await eventually(
      'the hasNotSynced context key (Retry All in the view title)',
      () => glue.double.contextKeys.get(CONTEXT_KEYS.hasNotSynced) === true,
    );
    assert.equal(view().badge?.value, 1);
    assert.ok(!(await glue.serverFiles()).some((f) => f.path === 'video.bin'), 'nothing was committed');

    await glue.double.host.commands.executeCommand(COMMANDS.retry, row.element);
    await eventually('video.bin on the server after Retry', async () =>
      (await glue.serverFiles()).some((f) => f.path === 'video.bin' && f.size === 9_000_000),
    );
    await eventually('nothing left not synced', async () => !(await group(/^Not synced/)));
    await eventually('hasNotSynced cleared', () => glue.double.contextKeys.get(CONTEXT_KEYS.hasNotSynced) === false);
    assert.equal(view().badge, undefined);
  });

  it('describes a transfer with percent, bytes and rate', () => {
    const transfer = { path: 'a/b.bin', direction: 'download' as const, size: 10_000_000, bytes: 2_500_000, startedAt: 1_000 };
    assert.equal(describeTransfer(transfer, 3_000), '↓ 25% · 2.5 MB of 10.0 MB · 1.3 MB/s');
    assert.equal(describeTransfer({ ...transfer, direction: 'upload', bytes: 0 }, 3_000), '↑ 0% · 0 B of 10.0 MB');
  });
});
