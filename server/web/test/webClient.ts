// A tiny browser for HTTP-level tests: keeps cookies, reads CSRF tokens from forms, never follows redirects.
import assert from 'node:assert/strict';
import { TEST_PASSWORD } from '../../../test/support/stack';

export interface Page {
  status: number;
  headers: Headers;
  html: string;
  location: string | null;
}

export class WebClient {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36',
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', this.cookieHeader());
    headers.set('user-agent', this.userAgent);
    const res = await fetch(new URL(path, this.baseUrl), { ...init, headers, redirect: 'manual' });
    this.remember(res.headers);
    return res;
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Page> {
    const res = await this.request(path, { headers });
    return { status: res.status, headers: res.headers, html: await res.text(), location: res.headers.get('location') };
  }

  /** Posts a form as a browser does (urlencoded); `_csrf` is added from `csrfFrom` unless given. */
  async post(path: string, fields: Record<string, string>): Promise<Page> {
    const res = await this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.status, headers: res.headers, html: await res.text(), location: res.headers.get('location') };
  }

  /** Loads a page and posts one of its forms with its own CSRF token. */
  async submit(pagePath: string, action: string, fields: Record<string, string>): Promise<Page> {
    const page = await this.get(pagePath);
    return this.post(action, { _csrf: csrfToken(page.html), ...fields });
  }
}

export function csrfToken(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('The page has no form with a CSRF token.');
  return m[1];
}

/** Text of the page's alert, if any. */
export function alertText(html: string): string | undefined {
  const m = /role="alert">([^<]*)</.exec(html);
  return m?.[1];
}

/** A browser signed in through the website's own signup form, as `username` (mail `<username>@example.com`). */
export async function signedUpBrowser(baseUrl: string, username: string): Promise<WebClient> {
  const web = new WebClient(baseUrl);
  const res = await web.submit('/signup', '/signup', { username, email: `${username}@example.com`, password: TEST_PASSWORD });
  assert.equal(res.status, 302, alertText(res.html));
  assert.equal(res.location, '/files');
  return web;
}
