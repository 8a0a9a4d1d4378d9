// pathState's case table and the ActivityTracker's transfers, cancellation and events.
import assert from 'node:assert/strict';
import { pathState, type PathStateView } from '../../src/sync/pathStates';
import { ActivityTracker, TransferCancelledError, type ActivityEvent } from '../../src/sync/activity';
import type { Action } from '../../src/sync/planner';

function view(over: Partial<PathStateView>): PathStateView {
  return {
    ignored: () => false,
    notSynced: () => undefined,
    transferring: () => undefined,
    changedHere: () => false,
    hasLocal: () => true,
    hasRemote: () => true,
    hasSynced: () => true,
    inSync: () => true,
    localDiffers: () => false,
    ...over,
  };
}

describe('pathState', () => {
  const cases: [string, Partial<PathStateView>, string, ReturnType<typeof pathState>][] = [
    ['all three agree', {}, 'a.txt', { kind: 'synced' }],
    ['unknown path (a folder)', { hasLocal: () => false, hasRemote: () => false, hasSynced: () => false }, 'dir', undefined],
    [
      'a file the watcher just reported, not scanned yet',
      { hasLocal: () => false, hasRemote: () => false, hasSynced: () => false, changedHere: () => true },
      'new.txt',
      { kind: 'pendingUpload' },
    ],
    ['edited here', { inSync: () => false, localDiffers: () => true }, 'a.txt', { kind: 'pendingUpload' }],
    [
      'new here',
      { inSync: () => false, hasSynced: () => false, hasRemote: () => false, localDiffers: () => true },
      'a.txt',
      { kind: 'pendingUpload' },
    ],
    ['changed on the server', { inSync: () => false }, 'a.txt', { kind: 'pendingDownload' }],
    ['new on the server', { inSync: () => false, hasLocal: () => false, hasSynced: () => false }, 'a.txt', { kind: 'pendingDownload' }],
    ['uploading', { transferring: () => 'upload', inSync: () => false }, 'a.txt', { kind: 'uploading' }],
    ['downloading', { transferring: () => 'download', inSync: () => false }, 'a.txt', { kind: 'downloading' }],
    ['left out, with the reason', { notSynced: () => 'Quota exceeded' }, 'a.txt', { kind: 'notSynced', reason: 'Quota exceeded' }],
    [
      'ignored wins over everything',
      { ignored: () => true, notSynced: () => 'x', transferring: () => 'upload' },
      'a.swp',
      { kind: 'ignored' },
    ],
    ['a conflicted copy, even when synced', {}, 'a (conflicted copy from laptop 2026-11-26 0815).txt', { kind: 'conflicted' }],
    [
      'a conflicted copy being uploaded shows the upload',
      { transferring: () => 'upload' },
      'a (conflicted copy from laptop 2026-11-26 0815).txt',
      { kind: 'uploading' },
    ],
  ];
  for (const [name, over, p, expected] of cases) {
    it(name, () => assert.deepEqual(pathState(view(over), p), expected));
  }
});

describe('ActivityTracker', () => {
  const upload: Action = { kind: 'upload', path: 'big.bin', local: { size: 100, contentHash: 'h' }, baseRev: null };
  const download: Action = { kind: 'download', path: 'in.bin', remote: { size: 50, contentHash: 'h', rev: 3 } };
  const del: Action = { kind: 'deleteLocal', path: 'gone.txt', local: { size: 1, contentHash: 'h' } };

  it('lists transfers with their bytes, and reports each end', () => {
    const events: ActivityEvent[] = [];
    let now = 1000;
    const tracker = new ActivityTracker(
      (e) => events.push(e),
      () => now,
    );
    const up = tracker.begin(upload, 100);
    tracker.begin(download, 50);
    tracker.begin(del, 0);
    up.progress(40);
    up.progress(30); // never goes back
    up.progress(500); // never past the size
    assert.deepEqual(tracker.transfers(), [
      { path: 'big.bin', direction: 'upload', size: 100, bytes: 100, startedAt: 1000 },
      { path: 'in.bin', direction: 'download', size: 50, bytes: 0, startedAt: 1000 },
    ]);
    assert.equal(tracker.direction('in.bin'), 'download');
    assert.equal(tracker.direction('gone.txt'), undefined, 'a delete is not a transfer');
    now = 2000;
    tracker.end(upload, undefined, false, { size: 100 });
    tracker.end(del);
    tracker.end(download, new Error('socket hang up'), true);
    assert.deepEqual(tracker.transfers(), []);
    assert.deepEqual(
      events.map((e) => [e.kind, e.kind === 'started' ? e.transfer.path : e.path]),
      [
        ['started', 'big.bin'],
        ['started', 'in.bin'],
        ['finished', 'big.bin'],
        ['finished', 'gone.txt'],
        ['failed', 'in.bin'],
      ],
    );
    assert.deepEqual(events[2], { kind: 'finished', path: 'big.bin', change: 'uploaded', at: 2000, size: 100 });
    assert.deepEqual(events[3], { kind: 'finished', path: 'gone.txt', change: 'deletedHere', at: 2000 });
    assert.deepEqual(events[4], {
      kind: 'failed',
      path: 'in.bin',
      change: 'downloaded',
      at: 2000,
      message: 'socket hang up',
      retrying: true,
      cancelled: false,
    });
  });

  it('cancels a transfer through its signal, and reports it as cancelled, not retried', () => {
    const events: ActivityEvent[] = [];
    const tracker = new ActivityTracker((e) => events.push(e));
    const handle = tracker.begin(upload, 100);
    assert.equal(tracker.cancel('nothing-moving.txt'), false);
    assert.equal(tracker.cancel('big.bin'), true);
    assert.equal(handle.signal.aborted, true);
    assert.ok(handle.signal.reason instanceof TransferCancelledError);
    assert.throws(() => handle.signal.throwIfAborted(), TransferCancelledError);
    tracker.end(upload, new Error('The operation was aborted'), true);
    const failed = events.at(-1);
    assert.ok(failed?.kind === 'failed');
    assert.equal(failed.cancelled, true);
    assert.equal(failed.retrying, false);
    assert.match(failed.message, /Cancelled; choose Retry/);
  });
});
