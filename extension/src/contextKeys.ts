// The context keys the manifest's `when` clauses read (signed in, paused, syncing, has conflicts…), set only when they change.
import type { Host } from './host';

/** Every key the extension sets; package.json's `when` clauses use these names (a test checks they exist). */
export const CONTEXT_KEYS = {
  signedIn: 'mydropbox.signedIn',
  /** An engine is running for a folder. */
  active: 'mydropbox.active',
  paused: 'mydropbox.paused',
  syncing: 'mydropbox.syncing',
  /** Everything synced (the walkthrough's "first sync" step completes on it). */
  upToDate: 'mydropbox.upToDate',
  hasConflicts: 'mydropbox.hasConflicts',
  /** The folder to sync is in a workspace VS Code does not trust yet. */
  restricted: 'mydropbox.restricted',
  /** The server keeps version history and deleted files. */
  historyAvailable: 'mydropbox.historyAvailable',
  /** The server makes share links. */
  shareLinksAvailable: 'mydropbox.shareLinksAvailable',
  /** Transfers in progress or items not synced: the Activity view has something to act on. */
  hasNotSynced: 'mydropbox.hasNotSynced',
} as const;

export type ContextKey = (typeof CONTEXT_KEYS)[keyof typeof CONTEXT_KEYS];

export class ContextKeys {
  private readonly values = new Map<ContextKey, boolean>();

  constructor(private readonly host: Host) {}

  set(key: ContextKey, value: boolean): void {
    if (this.values.get(key) === value) return;
    this.values.set(key, value);
    void this.host.commands.executeCommand('setContext', key, value);
  }

  get(key: ContextKey): boolean {
    return this.values.get(key) ?? false;
  }
}
