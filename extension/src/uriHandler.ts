// Sign-in from the website: `vscode://mydropbox.mydropbox/signin?server=…&code=…` becomes a device token, no password typed here.
import { errorFromResponse, MyDropboxError } from '@mydropbox/shared';
import type { LoginCodeInfo, SignInResponse } from '@mydropbox/shared';
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

/** One POST to the router's login-code API; a refusal becomes the MyDropboxError it carries. */
async function loginCodeCall<T>(
  sync: Pick<SyncModule, 'discover'>,
  link: SignInLink,
  action: 'inspect' | 'redeem',
  body: object,
): Promise<Partial<T> | undefined> {
  const { apiUrl } = await sync.discover(link.serverUrl);
  let res: Response;
  try {
    res = await fetch(`${apiUrl}/login-codes/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new MyDropboxError(
      'server_unavailable',
      `Cannot reach the MyDropbox server at ${link.serverUrl}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const answer = (await res.json().catch(() => undefined)) as Partial<T> | undefined;
  if (!res.ok) throw errorFromResponse(res.status, answer);
  return answer;
}

/** Whose account the link's code signs in to (POST /api/v1/login-codes/inspect); the code stays unused. */
export async function inspectLoginCode(sync: Pick<SyncModule, 'discover'>, link: SignInLink): Promise<string> {
  const body = await loginCodeCall<LoginCodeInfo>(sync, link, 'inspect', { code: link.code });
  if (typeof body?.username !== 'string' || body.username === '') {
    throw new MyDropboxError('invalid_request', `The server at ${link.serverUrl} sent an unexpected answer about the sign-in code.`);
  }
  return body.username;
}

/** Trades a one-time code for a device token at the router (POST /api/v1/login-codes/redeem). */
export async function redeemLoginCode(
  sync: Pick<SyncModule, 'discover'>,
  link: SignInLink,
  deviceName: string,
): Promise<{ username: string; deviceToken: string }> {
  const body = await loginCodeCall<SignInResponse>(sync, link, 'redeem', { code: link.code, deviceName, deviceKind: 'vscode' });
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
    // Any web page can open a vscode:// link, with a code made for someone else's account: the person
    // sees which account on which server before anything is taken, and decides.
    let account: string;
    try {
      account = await inspectLoginCode(this.sync, link);
    } catch (err) {
      return this.fail(err, link.serverUrl);
    }
    const current = this.controller.signedIn;
    const detail =
      (current && current.serverUrl !== link.serverUrl
        ? `You are signed in to ${current.serverUrl} now; that device will be signed out. `
        : '') +
      `Continue only if "${account}" is your own account and you just clicked "Open in VS Code" on your MyDropbox website. ` +
      `Your myDropbox folder will sync with the account "${account}" on ${link.serverUrl}: anyone who controls that account gets your files.`;
    const choice = await this.host.window.showInformationMessage(
      `Sign in to MyDropbox as "${account}" at ${link.serverUrl}?`,
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
      // The code named one account when asked; a different one now means the server is not to be trusted.
      if (result.username !== account) {
        throw new MyDropboxError(
          'invalid_request',
          `The server signed this editor in as "${result.username}", not "${account}" as it said.`,
        );
      }
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
