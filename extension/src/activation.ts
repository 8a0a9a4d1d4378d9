// Builds the extension from a VS Code API (the real one or the test double): every piece created here, every disposable registered.
import os from 'node:os';
import { COMMANDS, registerCommands } from './commands';
import { SECTION } from './config';
import { ConflictNotifier } from './conflicts';
import type { Host, HostContext } from './host';
import { createLog } from './log';
import { DeviceSecrets } from './secrets';
import { SyncStatusBar } from './statusBar';
import { SyncController, type SyncModule } from './syncController';
import { SignInUriHandler } from './uriHandler';

export interface Extension {
  controller: SyncController;
  uriHandler: SignInUriHandler;
}

export async function activateExtension(host: Host, context: HostContext, sync: SyncModule): Promise<Extension> {
  const deviceName = `${os.hostname()} (${host.env.appName || 'VS Code'})`;
  const log = createLog(host);
  const statusBar = new SyncStatusBar(host, COMMANDS);
  const controller = new SyncController({
    host,
    sync,
    secrets: new DeviceSecrets(context.secrets),
    log,
    statusBar,
    conflicts: new ConflictNotifier(host, COMMANDS.showLog),
    stateRoot: context.globalStorageUri.fsPath,
    deviceName,
  });
  const uriHandler = new SignInUriHandler(host, controller, sync, deviceName, log);
  const refresh = () => void controller.refresh().catch((err: unknown) => log.error(`Could not apply the new settings: ${String(err)}`));
  context.subscriptions.push(
    log,
    statusBar,
    controller,
    ...registerCommands(host, controller, log),
    host.window.registerUriHandler(uriHandler),
    host.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) refresh();
    }),
    host.workspace.onDidChangeWorkspaceFolders(refresh),
  );
  await controller.restore();
  return { controller, uriHandler };
}
