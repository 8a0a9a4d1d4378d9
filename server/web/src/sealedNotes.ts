// One-time notes for the page after a redirect that may hold a secret (a new app password): sealed in a short-lived cookie for one path.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { WebContext } from './state';
import type { CookieFlags } from './cookies';

const MAX_AGE_MS = 5 * 60_000;

/**
 * What a form's answer must show once after its redirect, such as a new app password: encrypted
 * (AES-256-GCM with a key derived from the cookie keys) and HttpOnly, limited to the page's path,
 * expiring in minutes, and cleared by the first page that reads it, so a reload shows it no more.
 */
export interface SealedNotes {
  put(ctx: WebContext, path: string, value: unknown): void;
  take<T>(ctx: WebContext, path: string): T | undefined;
}

export function createSealedNotes(cookieKeys: readonly string[], flags: CookieFlags): SealedNotes {
  const keys = cookieKeys.map((k) => createHash('sha256').update(`mydropbox sealed note\n${k}`).digest());
  const name = (path: string) => `mdb_note${path.replace(/[^a-z0-9]/gi, '_')}`;
  const options = (path: string, maxAge: number) => ({
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: flags.secure,
    path,
    maxAge,
    overwrite: true,
  });

  return {
    put(ctx, path, value) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys[0], iv);
      const body = Buffer.concat([cipher.update(JSON.stringify({ value, until: Date.now() + MAX_AGE_MS }), 'utf8'), cipher.final()]);
      if (flags.secure) ctx.cookies.secure = true;
      ctx.cookies.set(name(path), Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url'), options(path, MAX_AGE_MS));
    },
    take<T>(ctx: WebContext, path: string): T | undefined {
      const sealed = ctx.cookies.get(name(path));
      if (!sealed) return undefined;
      if (flags.secure) ctx.cookies.secure = true;
      ctx.cookies.set(name(path), '', { ...options(path, 0), expires: new Date(0) });
      const raw = Buffer.from(sealed, 'base64url');
      for (const key of keys) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
          decipher.setAuthTag(raw.subarray(12, 28));
          const opened = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as {
            value: T;
            until: number;
          };
          return opened.until > Date.now() ? opened.value : undefined;
        } catch {
          // Not sealed with this key: try the next (keys rotate), else ignore it.
        }
      }
      return undefined;
    },
  };
}
