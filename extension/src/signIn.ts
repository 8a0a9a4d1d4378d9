// The Sign In command's conversation: server address, username, password (masked), then a device token into SecretStorage.
import { MyDropboxError } from '@mydropbox/shared';
import { normalizeServerUrl, readSettings, SECTION } from './config';
import type { Host } from './host';
import type { SyncController } from './syncController';

export async function promptSignIn(host: Host, controller: SyncController): Promise<boolean> {
  const settings = readSettings(host);
  const serverInput = await host.window.showInputBox({
    title: 'MyDropbox: Sign In (1/3)',
    prompt: 'Address of your MyDropbox server (the one address its administrator gave you)',
    value: controller.signedIn?.serverUrl ?? settings.serverUrl,
    ignoreFocusOut: true,
    validateInput: (value) => validationMessage(() => normalizeServerUrl(value)),
  });
  if (serverInput === undefined) return false;
  const serverUrl = normalizeServerUrl(serverInput);

  const username = await host.window.showInputBox({
    title: 'MyDropbox: Sign In (2/3)',
    prompt: `Username on ${serverUrl}`,
    value: controller.signedIn?.username ?? '',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'Enter your username.'),
  });
  if (username === undefined) return false;

  const password = await host.window.showInputBox({
    title: 'MyDropbox: Sign In (3/3)',
    prompt: `Password for ${username.trim()}`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value ? undefined : 'Enter your password.'),
  });
  if (password === undefined) return false;

  try {
    const credentials = await host.window.withProgress(
      { location: host.ProgressLocation.Notification, title: `MyDropbox: signing in to ${serverUrl}…` },
      () => controller.signInWithPassword(serverUrl, username.trim(), password),
    );
    // The address is not secret: remembering it prefills the next sign-in and points "Open Website" at it.
    if (settings.serverUrl !== serverUrl)
      await host.workspace.getConfiguration(SECTION).update('serverUrl', serverUrl, host.ConfigurationTarget.Global);
    void host.window.showInformationMessage(`MyDropbox: signed in as ${credentials.username}.`, {});
    return true;
  } catch (err) {
    const choice = await host.window.showErrorMessage(signInErrorMessage(err, serverUrl), {}, 'Try Again');
    if (choice === 'Try Again') return promptSignIn(host, controller);
    return false;
  }
}

export function signInErrorMessage(err: unknown, serverUrl: string): string {
  if (MyDropboxError.is(err, 'bad_credentials') || MyDropboxError.is(err, 'unauthorized')) return 'MyDropbox: wrong username or password.';
  if (MyDropboxError.is(err, 'rate_limited')) return `MyDropbox: too many sign-in attempts. ${err.message}`;
  if (MyDropboxError.is(err)) return `MyDropbox: could not sign in to ${serverUrl}. ${err.message}`;
  return `MyDropbox: could not sign in to ${serverUrl}. ${err instanceof Error ? err.message : String(err)}`;
}

function validationMessage(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
