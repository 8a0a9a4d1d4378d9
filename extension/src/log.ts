// The "MyDropbox" output channel, and the bridge from the engine's log events into it.
import type * as vscode from 'vscode';
import type { Host } from './host';

export const LOG_CHANNEL_NAME = 'MyDropbox';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function createLog(host: Host): vscode.LogOutputChannel {
  return host.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
}

export function writeLog(channel: vscode.LogOutputChannel, level: LogLevel, message: string): void {
  switch (level) {
    case 'debug':
      channel.debug(message);
      break;
    case 'info':
      channel.info(message);
      break;
    case 'warn':
      channel.warn(message);
      break;
    case 'error':
      channel.error(message);
      break;
  }
}
