// Builds the extension from a VS Code API (the real one or the test double): every piece created here, every disposable registered.
import os from 'node:os';
import { ActivityView } from './activityView';
import { COMMANDS, registerCommands, WALKTHROUGH_ID } from './commands';
import { readSettings, SECTION } from './config';
import { ConflictNotifier, trackConflicts } from './conflicts';
import { ContextKeys } from './contextKeys';
import { SyncDecorations } from './decorations';
import { registerTimeline, VersionHistory } from './history';
import type { Host, HostContext } from './host';
import { useTranslations } from './l10n';
import { createLog } from './log';
import { RemoteFilesView } from './remoteFilesView';
import { DeviceSecrets } from './secrets';
import { ServerFileSystem } from './serverFiles';
import { ShareLinks } from './shareLinks';
import { SyncStatusBar } from './statusBar';
import { isConflictedCopy } from './sync';
import { SyncController, type SyncModule } from './syncController';
import { SERVER_SCHEME } from './syncPaths';
import { SignInUriHandler } from './uriHandler';

/** Set in globalState once the walkthrough was offered, so it opens by itself only on the first start. */
const WALKTHROUGH_SHOWN = 'mydropbox.walkthroughShown';

export interface Extension {
  controller: SyncController;
  uriHandler: SignInUriHandler;
  decorations: SyncDecorations;
  remoteFiles: RemoteFilesView;
  activity: ActivityView;
  serverFiles: ServerFileSystem;
  history: VersionHistory;
  shareLinks: ShareLinks;
  contextKeys: ContextKeys;
}

export async function activateExtension(host: Host, context: HostContext, sync: SyncModule): Promise<Extension> {
  useTranslations(host.l10n.t);
  const deviceName = `${os.hostname()} (${host.env.appName || 'VS Code'})`;
  const log = createLog(host);
  const contextKeys = new ContextKeys(host);
  const statusBar = new SyncStatusBar(host, COMMANDS);
  const controller = new SyncController({
    host,
    sync,
    secrets: new DeviceSecrets(context.secrets),
    log,
    statusBar,
    conflicts: new ConflictNotifier(host, COMMANDS.showLog),
    contextKeys,
    stateRoot: context.globalStorageUri.fsPath,
    deviceName,
  });
  const uriHandler = new SignInUriHandler(host, controller, sync, deviceName, log);
  const decorations = new SyncDecorations(host, controller);
  decorations.setEnabled(readSettings(host).decorations);
  const serverFiles = new ServerFileSystem(host, controller);
  const remoteFiles = new RemoteFilesView(host, controller);
  const activity = new ActivityView(host, controller, contextKeys);
  const history = new VersionHistory(host, controller, contextKeys, serverFiles);
  const timeline = registerTimeline(host.workspace, history);
  const shareLinks = new ShareLinks(host, controller, sync, contextKeys);
  if (!timeline) log.info('The Timeline API is not enabled in this editor: "MyDropbox: Show Version History" lists versions instead.');
  const refresh = () => void controller.refresh().catch((err: unknown) => log.error(`Could not apply the new settings: ${String(err)}`));
  context.subscriptions.push(
    log,
    statusBar,
    controller,
    decorations,
    serverFiles,
    remoteFiles,
    activity,
    history,
    shareLinks,
    ...(timeline ? [timeline] : []),
    ...registerCommands({ host, controller, log, contextKeys, remoteFiles, activity, history, shareLinks }),
    host.window.registerUriHandler(uriHandler),
    host.window.registerFileDecorationProvider(decorations),
    host.workspace.registerFileSystemProvider(SERVER_SCHEME, serverFiles, { isReadonly: true, isCaseSensitive: true }),
    trackConflicts(controller, contextKeys, isConflictedCopy),
    host.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      decorations.setEnabled(readSettings(host).decorations);
      refresh();
    }),
    host.workspace.onDidChangeWorkspaceFolders(refresh),
    host.workspace.onDidGrantWorkspaceTrust(refresh),
  );
  await controller.restore();
  if (!controller.signedIn && !context.globalState.get<boolean>(WALKTHROUGH_SHOWN)) {
    await context.globalState.update(WALKTHROUGH_SHOWN, true);
    void host.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false);
  }
  return { controller, uriHandler, decorations, remoteFiles, activity, serverFiles, history, shareLinks, contextKeys };
}
