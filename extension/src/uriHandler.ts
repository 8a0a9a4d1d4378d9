// Sign-in from the website: `vscode://mydropbox.mydropbox/signin?server=…&code=…` becomes a device token, no password typed here.
import { errorFromResponse, MyDropboxError } from '@mydropbox/shared';
import type { SignInResponse } from '@mydropbox/shared';
import type * as vscode from 'vscode';
import { normalizeServerUrl } from './config';
import type { Host } from './host';
import type { SyncController, SyncModule } from './syncController';

export const SIGN_IN_PATH = '/signin';
/** One-time codes are short random tokens; anything else in the link is refused before any request is made. */
const CODE_PATTERN = /^[A-Za-z0-9_-]{8,200}$/;

export interface SignInLink {
  serverUrl: string;
  code: string;
}

/** Reads and checks a sign-in link; throws an Error saying what is wrong with it. */
export function parseSignInUri(uri: Pick<vscode.Uri, 'path' | 'query'>): SignInLink {
  if (uri.path !== SIGN_IN_PATH) throw new Error(`MyDropbox does not handle links to "${uri.path}".`);
  const params = new URLSearchParams(uri.query);
  const server = params.get('server');
  const code = params.get('code');
  if (!server) throw new Error('The sign-in link has no server address.');
  if (!code) throw new Error('The sign-in link has no sign-in code.');
  if (!CODE_PATTERN.test(code)) throw new Error('The sign-in link has a malformed sign-in code.');
  return { serverUrl: normalizeServerUrl(server), code };
}

/** Trades a one-time code for a device token at the router (POST /api/v1/login-codes/redeem). */
export async function redeemLoginCode(
  sync: Pick<SyncModule, 'discover'>,
  link: SignInLink,
  deviceName: string,
): Promise<{ username: string; deviceToken: string }> {
  const { apiUrl } = await sync.discover(link.serverUrl);
  let res: Response;
  try {
    res = await fetch(`${apiUrl}/login-codes/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: link.code, deviceName, deviceKind: 'vscode' }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new MyDropboxError(
      'server_unavailable',
      `Cannot reach the MyDropbox server at ${link.serverUrl}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const body = (await res.json().catch(() => undefined)) as Partial<SignInResponse> | undefined;
  if (!res.ok) throw errorFromResponse(res.status, body);
  if (typeof body?.username !== 'string' || typeof body.deviceToken !== 'string') {
    throw new MyDropboxError('invalid_request', `The server at ${link.serverUrl} sent an unexpected answer to the sign-in code.`);
  }
  return { username: body.username, deviceToken: body.deviceToken };
}

export class SignInUriHandler implements vscode.UriHandler {
  constructor(
    private readonly host: Host,
    private readonly controller: SyncController,
    private readonly sync: Pick<SyncModule, 'discover'>,
    private readonly deviceName: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async handleUri(uri: vscode.Uri): Promise<void> {
    await this.signInFrom(uri);
  }

  /** Resolves true when the device is signed in; every refusal is shown to the person and logged. */
  async signInFrom(uri: Pick<vscode.Uri, 'path' | 'query'>): Promise<boolean> {
    let link: SignInLink;
    try {
      link = parseSignInUri(uri);
    } catch (err) {
      return this.fail(err);
    }
    // Any web page can open a vscode:// link; only the person can decide this editor should sync with that server.
    const current = this.controller.signedIn;
    const detail =
      (current && current.serverUrl !== link.serverUrl
        ? `You are signed in to ${current.serverUrl} now; that device will be signed out. `
        : '') +
      'Continue only if you just clicked "Open in VS Code" on your MyDropbox website. Your myDropbox folder will sync with this server.';
    const choice = await this.host.window.showInformationMessage(
      `Sign in to MyDropbox at ${link.serverUrl}?`,
      { modal: true, detail },
      'Sign In',
    );
    if (choice !== 'Sign In') {
      this.log.info(`Sign-in link for ${link.serverUrl} dismissed.`);
      return false;
    }
    try {
      const result = await this.host.window.withProgress(
        { location: this.host.ProgressLocation.Notification, title: `MyDropbox: signing in to ${link.serverUrl}…` },
        () => redeemLoginCode(this.sync, link, this.deviceName),
      );
      await this.controller.adopt({ serverUrl: link.serverUrl, username: result.username, deviceToken: result.deviceToken });
      void this.host.window.showInformationMessage(`MyDropbox: signed in as ${result.username}.`, {});
      return true;
    } catch (err) {
      return this.fail(err, link.serverUrl);
    }
  }

  private async fail(err: unknown, serverUrl?: string): Promise<false> {
    const reason = err instanceof Error ? err.message : String(err);
    const message =
      MyDropboxError.is(err, 'unauthorized') || MyDropboxError.is(err, 'not_found') || MyDropboxError.is(err, 'bad_credentials')
        ? 'This sign-in link has expired or was already used; click "Open in VS Code" on the website again.'
        : reason;
    this.log.warn(`Sign-in link refused${serverUrl ? ` (${serverUrl})` : ''}: ${reason}`);
    await this.host.window.showErrorMessage(`MyDropbox: ${message}`, {});
    return false;
  }
}
