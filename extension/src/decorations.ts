// Sync state on every file in the Explorer and on editor tabs: a badge, a colour and a tooltip per path, read from the engine in constant time.
//
// VS Code asks only for the files it shows, so the cost is one lookup per visible row whatever the
// folder's size. Changes arrive as the engine's pathsChanged; they are gathered for a moment and
// sent as one event (a burst of 1,000 uploads is a handful of events, not 2,000).
import type * as vscode from 'vscode';
import type { Host } from './host';
import { t } from './l10n';
import type { PathState, PathStateKind } from './sync';
import type { SyncController } from './syncController';
import { localUri, pathBelow } from './syncPaths';

/** Colour ids contributed in package.json (`contributes.colors`); a test checks each exists. */
export const DECORATION_COLORS = {
  pending: 'mydropbox.pendingForeground',
  downloading: 'mydropbox.downloadingForeground',
  conflicted: 'mydropbox.conflictedForeground',
  notSynced: 'mydropbox.notSyncedForeground',
  ignored: 'mydropbox.ignoredForeground',
} as const;

interface Look {
  badge?: string;
  color?: string;
  /** Folders above show that something inside needs attention. */
  propagate: boolean;
  tooltip(state: PathState): string;
}

const LOOKS: Record<PathStateKind, Look> = {
  synced: { badge: '✓', propagate: false, tooltip: () => t('Synced with MyDropbox') },
  pendingUpload: { badge: '↑', color: DECORATION_COLORS.pending, propagate: true, tooltip: () => t('Waiting to upload to MyDropbox') },
  uploading: { badge: '↑', color: DECORATION_COLORS.pending, propagate: true, tooltip: () => t('Uploading to MyDropbox…') },
  pendingDownload: {
    badge: '↓',
    color: DECORATION_COLORS.downloading,
    propagate: true,
    tooltip: () => t('Changed on the server; waiting to download'),
  },
  downloading: { badge: '↓', color: DECORATION_COLORS.downloading, propagate: true, tooltip: () => t('Downloading from MyDropbox…') },
  conflicted: {
    badge: '!',
    color: DECORATION_COLORS.conflicted,
    propagate: true,
    tooltip: () => t('Conflicted copy: both versions were kept. Right-click, MyDropbox, to compare or keep one.'),
  },
  notSynced: {
    badge: '✕',
    color: DECORATION_COLORS.notSynced,
    propagate: true,
    tooltip: (s) => t('Not synced: {0}', s.reason ?? t('unknown reason')),
  },
  ignored: {
    color: DECORATION_COLORS.ignored,
    propagate: false,
    tooltip: () => t('Not synced: ignored by .mydropboxignore or a default rule'),
  },
};

/** Beyond this many paths in one batch, refreshing everything shown is cheaper than naming each. */
const MAX_NAMED_CHANGES = 500;
const BATCH_MS = 50;

export class SyncDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changes: vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>;
  readonly onDidChangeFileDecorations: vscode.Event<vscode.Uri | vscode.Uri[] | undefined>;
  private pending: Set<string> | 'all' | undefined;
  private timer: NodeJS.Timeout | undefined;
  private enabled = true;
  private readonly shared: Partial<Record<PathStateKind, vscode.FileDecoration>> = {};
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly host: Host,
    private readonly controller: SyncController,
  ) {
    this.changes = new host.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>();
    this.onDidChangeFileDecorations = this.changes.event;
    this.subscription = controller.listen({
      pathsChanged: (paths) => this.changed(paths),
      engineChanged: () => this.changed(undefined),
    });
  }

  /** The `mydropbox.decorations` setting: off hides every badge at once. */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    this.changed(undefined);
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    if (!this.enabled) return undefined;
    const engine = this.controller.syncEngine;
    const folder = this.controller.syncFolder;
    if (!engine || !folder || uri.scheme !== 'file') return undefined;
    const rel = pathBelow(folder, uri.fsPath);
    if (rel === undefined) return undefined;
    const state = engine.pathState(rel);
    if (!state) return undefined;
    // One object per state (VS Code copies what it is given); only "not synced" carries its own reason.
    if (state.kind === 'notSynced') return this.decoration(state);
    return (this.shared[state.kind] ??= this.decoration(state));
  }

  private decoration(state: PathState): vscode.FileDecoration {
    const look = LOOKS[state.kind];
    const decoration = new this.host.FileDecoration(
      look.badge,
      look.tooltip(state),
      look.color ? new this.host.ThemeColor(look.color) : undefined,
    );
    decoration.propagate = look.propagate;
    return decoration;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscription.dispose();
    this.changes.dispose();
  }

  private changed(paths: readonly string[] | undefined): void {
    if (paths === undefined || this.pending === 'all') this.pending = 'all';
    else {
      this.pending ??= new Set();
      for (const p of paths) this.pending.add(p);
      if (this.pending.size > MAX_NAMED_CHANGES) this.pending = 'all';
    }
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    const folder = this.controller.syncFolder;
    if (pending === undefined) return;
    if (pending === 'all' || !folder) this.changes.fire(undefined);
    else this.changes.fire([...pending].map((p) => localUri(this.host, folder, p)));
  }
}
