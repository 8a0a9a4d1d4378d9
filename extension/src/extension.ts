// VS Code entry point: hands the real API and the sync engine to the wiring, and stops the engine on shutdown.
import * as vscode from 'vscode';
import * as sync from './sync';
import { activateExtension, type Extension } from './activation';

let running: Extension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  running = await activateExtension(vscode, context, sync);
}

export async function deactivate(): Promise<void> {
  await running?.controller.stop();
  running = undefined;
}
