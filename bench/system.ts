// MyDropbox under test: `npm start`'s launcher in a child process with a fresh MYDROPBOX_HOME and free ports, plus accounts.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { errorFromResponse } from '@mydropbox/shared';
import { deviceTokenSession, signIn, type Session } from '../extension/src/sync';
import { freePort, stopChild } from './proc';

export const REPO_ROOT = path.resolve(__dirname, '..');
const PASSWORD = 'bench password, long enough';

export interface Account {
  username: string;
  password: string;
  deviceToken: string;
  session: Session;
}

export interface System {
  url: string;
  home: string;
  /** A new account with a device signed in (each workload run gets an empty server this way). */
  newAccount(): Promise<Account>;
  /** Another device of the same account (the bench's observer of the change feed). */
  signInAgain(account: Account, deviceName: string): Promise<Account>;
  close(): Promise<void>;
}

let accounts = 0;

/** Starts the launcher and waits until it prints its address; `nodeOptions` reach every server (e.g. --cpu-prof). */
export async function startSystem(home: string, opts: { nodeOptions?: string; profileDir?: string } = {}): Promise<System> {
  fs.mkdirSync(home, { recursive: true });
  const [web, d1, d2] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MYDROPBOX_HOME: home,
    HOST: '127.0.0.1',
    PORT: String(web),
    DATA1_PORT: String(d1),
    DATA2_PORT: String(d2),
    LOG_LEVEL: 'warn',
    // Every workload run signs up a fresh account from this one address; the sign-up throttle is for strangers.
    SIGNUPS_PER_ADDRESS_PER_HOUR: '100000',
    SIGNUPS_PER_HOUR: '100000',
  };
  if (opts.nodeOptions) env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${opts.nodeOptions}`.trim();
  if (opts.profileDir) env.MYDROPBOX_CPU_PROFILE_DIR = opts.profileDir;
  const child: ChildProcess = spawn(process.execPath, ['--conditions=source', '--require', 'tsx/cjs', 'scripts/start.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The launcher did not start within 90 s:\n${output}`)), 90_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /MyDropbox is running at (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The launcher exited (${code}) while starting:\n${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();

  const signInDevice = async (username: string, deviceName: string): Promise<Account> => {
    const { deviceToken } = await signIn(url, username, PASSWORD, { name: deviceName, kind: 'daemon' });
    return { username, password: PASSWORD, deviceToken, session: deviceTokenSession(url, deviceToken) };
  };
  return {
    url,
    home,
    async newAccount() {
      const username = `bench${++accounts}${randomBytes(3).toString('hex')}`;
      const res = await fetch(`${url}/api/v1/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, email: `${username}@example.com`, password: PASSWORD }),
      });
      const body: unknown = await res.json().catch(() => null);
      if (!res.ok) throw errorFromResponse(res.status, body);
      return signInDevice(username, 'bench client');
    },
    signInAgain: (account, deviceName) => signInDevice(account.username, deviceName),
    close: () => stopChild(child, 15_000),
  };
}

/** The same credentials, but every data-server call goes through `proxyUrl` (to count bytes at the socket). */
export function viaProxy(session: Session, proxyUrl: string): Session {
  return {
    serverUrl: session.serverUrl,
    invalidateAccessToken: () => session.invalidateAccessToken?.(),
    async getAccessToken() {
      const t = await session.getAccessToken();
      return { accessToken: t.accessToken, dataServerUrl: proxyUrl };
    },
  };
}
