// The signed-in device, kept in VS Code's SecretStorage (the OS keychain), never in settings.
import type * as vscode from 'vscode';

const KEY = 'mydropbox.device';

export interface DeviceCredentials {
  serverUrl: string;
  username: string;
  deviceToken: string;
}

export class DeviceSecrets {
  constructor(private readonly storage: vscode.SecretStorage) {}

  async load(): Promise<DeviceCredentials | undefined> {
    const raw = await this.storage.get(KEY);
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as Partial<DeviceCredentials>;
      if (typeof parsed.serverUrl === 'string' && typeof parsed.username === 'string' && typeof parsed.deviceToken === 'string') {
        return { serverUrl: parsed.serverUrl, username: parsed.username, deviceToken: parsed.deviceToken };
      }
    } catch {
      // A damaged entry is treated as signed out; signing in again overwrites it.
    }
    return undefined;
  }

  async save(credentials: DeviceCredentials): Promise<void> {
    await this.storage.store(KEY, JSON.stringify(credentials));
  }

  async clear(): Promise<void> {
    await this.storage.delete(KEY);
  }
}
