// Test support for the WebDAV suites: a stack with WebDAV mounted, a user with an app password, and raw HTTP requests.
import http from 'node:http';
import { startStack, type Stack, type StackOptions, type StackUser } from '../support/stack';

export interface DavUser extends StackUser {
  appPassword: string;
  /** `Basic …` for this user's app password. */
  authorization: string;
}

export async function startDavStack(opts: StackOptions = {}): Promise<Stack> {
  return startStack(opts);
}

export async function davUser(stack: Stack, username?: string): Promise<DavUser> {
  const user = await stack.signUpAndSignIn(username);
  const { password } = await stack.services.devices.createAppPassword(user.username, 'Test WebDAV');
  return { ...user, appPassword: password, authorization: `Basic ${Buffer.from(`${user.username}:${password}`).toString('base64')}` };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/**
 * One request with the path sent exactly as given (fetch would resolve "..", which is what the
 * tests must send), optional body and headers.
 */
export function davRequest(
  baseUrl: string,
  method: string,
  rawPath: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer; auth?: string } = {},
): Promise<RawResponse> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.auth) headers.authorization = opts.auth;
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = http.request({ host: u.hostname, port: u.port, method, path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
