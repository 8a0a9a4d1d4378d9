// "Copy Share Link": a read-only link to a file or folder, made by the router with this device's token (POST /api/v1/share-links) and put on the clipboard.
import { errorFromResponse, MyDropboxError, baseName } from '@mydropbox/shared';
import type { CreateShareLinkResponse } from '@mydropbox/shared';
import { CONTEXT_KEYS, type ContextKeys } from './contextKeys';
import type { Host } from './host';
import { t } from './l10n';
import type { SyncController, SyncModule } from './syncController';
import type * as vscode from 'vscode';

export class ShareLinks implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;
  /** The device token the last probe asked with, so each sign-in is probed once. */
  private probedFor: string | undefined;

  constructor(
    private readonly host: Host,
    private readonly controller: SyncController,
    private readonly sync: Pick<SyncModule, 'discover'>,
    private readonly contextKeys: ContextKeys,
  ) {
    this.subscription = controller.listen({ status: () => void this.probe() });
  }

  /** Whether the server makes share links for clients (GET /api/v1/share-links answers); sets `shareLinksAvailable`. */
  async probe(): Promise<boolean> {
    const device = this.controller.signedIn;
    if (!device) {
      this.probedFor = undefined;
      this.contextKeys.set(CONTEXT_KEYS.shareLinksAvailable, false);
      return false;
    }
    if (this.probedFor === device.deviceToken) return this.contextKeys.get(CONTEXT_KEYS.shareLinksAvailable);
    this.probedFor = device.deviceToken;
    try {
      await this.call('GET');
      this.contextKeys.set(CONTEXT_KEYS.shareLinksAvailable, true);
    } catch (err) {
      if (MyDropboxError.is(err, 'not_found')) this.contextKeys.set(CONTEXT_KEYS.shareLinksAvailable, false);
      else this.probedFor = undefined; // offline: ask again at the next status change
    }
    return this.contextKeys.get(CONTEXT_KEYS.shareLinksAvailable);
  }

  /** Makes a link (no expiry, no password: the website's Shared links page changes or revokes it) and copies it. */
  async copyLink(rel: string): Promise<string | undefined> {
    const device = this.controller.signedIn;
    if (!device) {
      void this.host.window.showInformationMessage(t('Sign in to MyDropbox first.'), {});
      return undefined;
    }
    let made: CreateShareLinkResponse;
    try {
      made = (await this.host.window.withProgress(
        { location: this.host.ProgressLocation.Window, title: t('MyDropbox: making a share link for {0}', baseName(rel)) },
        () => this.call('POST', { path: rel }),
      )) as CreateShareLinkResponse;
    } catch (err) {
      const message = MyDropboxError.is(err, 'not_found')
        ? t('{0} is not on the server yet; share it once it shows ✓.', rel)
        : t('MyDropbox could not make a share link for {0}: {1}', rel, err instanceof Error ? err.message : String(err));
      void this.host.window.showErrorMessage(message, {});
      return undefined;
    }
    const url = new URL(made.urlPath, `${device.serverUrl}/`).toString();
    await this.host.env.clipboard.writeText(url);
    const open = t('Open Link');
    const manage = t('Manage Shared Links');
    void this.host.window
      .showInformationMessage(t('Share link for {0} copied: anyone with it can view and download it.', baseName(rel)), {}, open, manage)
      .then((choice) => {
        if (choice === open) void this.host.env.openExternal(this.host.Uri.parse(url));
        if (choice === manage)
          void this.host.env.openExternal(this.host.Uri.parse(new URL('/shared-links', `${device.serverUrl}/`).toString()));
      });
    return url;
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private async call(method: 'GET' | 'POST', body?: unknown): Promise<unknown> {
    const device = this.controller.signedIn!;
    const { apiUrl } = await this.sync.discover(device.serverUrl);
    let res: Response;
    try {
      res = await fetch(`${apiUrl}/share-links`, {
        method,
        headers: { authorization: `Bearer ${device.deviceToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new MyDropboxError(
        'server_unavailable',
        t('Cannot reach {0}: {1}', device.serverUrl, err instanceof Error ? err.message : String(err)),
      );
    }
    const parsed = (await res.json().catch(() => undefined)) as unknown;
    if (!res.ok) throw errorFromResponse(res.status, parsed);
    return parsed;
  }
}
