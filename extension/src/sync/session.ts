// How the engine gets credentials: sign in with a password for a device token, then trade it for short-lived access tokens.
import { errorFromResponse, MyDropboxError, retryAfterMs, WELL_KNOWN_PATH } from '@mydropbox/shared';
import type { AccessTokenResponse, DeviceKind, Discovery, SignInRequest, SignInResponse } from '@mydropbox/shared';

/** How the engine gets credentials; the CLI keeps the device token in a file, VS Code in SecretStorage. */
export interface Session {
  readonly serverUrl: string; // the one address `npm start` prints
  getAccessToken(): Promise<{ accessToken: string; dataServerUrl: string }>; // cached until near expiry
  /** Drops a cached access token the data server refused, so the next call asks the router again. */
  invalidateAccessToken?(): void;
}

/** Refresh an access token this long before it expires, so a slow request never carries an expired one. */
const EXPIRY_MARGIN_MS = 60_000;

const discoveryCache = new Map<string, Promise<Discovery>>();

/** The API address behind the one public address (GET <serverUrl>/.well-known/mydropbox.json). */
export async function discover(serverUrl: string): Promise<Discovery> {
  const base = serverUrl.replace(/\/+$/, '');
  let cached = discoveryCache.get(base);
  if (!cached) {
    cached = fetchJson<Discovery>(`${base}${WELL_KNOWN_PATH}`, { method: 'GET' }, base).then((d) => {
      if (!d || d.name !== 'MyDropbox' || typeof d.apiUrl !== 'string') {
        throw new MyDropboxError('invalid_request', `${base} does not look like a MyDropbox server (no discovery document).`);
      }
      // A relative apiUrl is resolved against the address the person typed.
      return { ...d, apiUrl: new URL(d.apiUrl, base + '/').toString().replace(/\/+$/, '') };
    });
    discoveryCache.set(base, cached);
    cached.catch(() => discoveryCache.delete(base));
  }
  return cached;
}

export async function signIn(
  serverUrl: string,
  username: string,
  password: string,
  device: { name: string; kind: 'daemon' | 'vscode' },
): Promise<{ username: string; deviceToken: string }> {
  const { apiUrl } = await discover(serverUrl);
  const body: SignInRequest = { username, password, deviceName: device.name, deviceKind: device.kind as DeviceKind };
  const res = await fetchJson<SignInResponse>(
    `${apiUrl}/sessions`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
    serverUrl,
  );
  return { username: res.username, deviceToken: res.deviceToken };
}

/** Revokes the device token at the router; a token the router no longer knows counts as signed out. */
export async function signOut(serverUrl: string, deviceToken: string): Promise<void> {
  const { apiUrl } = await discover(serverUrl);
  try {
    await fetchJson<unknown>(
      `${apiUrl}/sessions/current`,
      { method: 'DELETE', headers: { authorization: `Bearer ${deviceToken}` } },
      serverUrl,
    );
  } catch (err) {
    if (MyDropboxError.is(err, 'unauthorized') || MyDropboxError.is(err, 'token_expired')) return;
    throw err;
  }
}

export function deviceTokenSession(serverUrl: string, deviceToken: string): Session {
  let cached: { accessToken: string; dataServerUrl: string; expiresAt: number } | undefined;
  let inflight: Promise<{ accessToken: string; dataServerUrl: string }> | undefined;
  return {
    serverUrl,
    invalidateAccessToken() {
      cached = undefined;
    },
    async getAccessToken() {
      if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now())
        return { accessToken: cached.accessToken, dataServerUrl: cached.dataServerUrl };
      inflight ??= (async () => {
        try {
          const { apiUrl } = await discover(serverUrl);
          const res = await fetchJson<AccessTokenResponse>(
            `${apiUrl}/access-tokens`,
            { method: 'POST', headers: { authorization: `Bearer ${deviceToken}` } },
            serverUrl,
          );
          cached = { accessToken: res.accessToken, dataServerUrl: res.dataServer.url.replace(/\/+$/, ''), expiresAt: res.expiresAt };
          return { accessToken: cached.accessToken, dataServerUrl: cached.dataServerUrl };
        } finally {
          inflight = undefined;
        }
      })();
      return inflight;
    },
  };
}

/** One JSON call to the router or website; network failures keep their cause so isRetryable() can sort them. */
async function fetchJson<T>(url: string, init: RequestInit, serverUrl: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new MyDropboxError('server_unavailable', `Cannot reach the MyDropbox server at ${serverUrl}: ${describeNetworkError(err)}`, {
      cause: String((err as { cause?: { code?: string } }).cause?.code ?? ''),
    });
  }
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      if (!res.ok) throw errorFromResponse(res.status, undefined, retryAfterMs(res.headers.get('retry-after')));
      throw new MyDropboxError('invalid_request', `The server at ${serverUrl} sent a reply that is not JSON.`);
    }
  }
  if (!res.ok) throw errorFromResponse(res.status, body, retryAfterMs(res.headers.get('retry-after')));
  return body as T;
}

export function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer within 30 s';
  return err instanceof Error ? err.message : String(err);
}
