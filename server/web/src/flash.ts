// A one-time message carried across the redirect after a form (Post/Redirect/Get): "Moved 2 items", or what went wrong.
import type { CookieFlags } from './cookies';
import { clearCookie, readCookie, setCookie } from './cookies';
import type { WebContext } from './state';

export const FLASH_COOKIE = 'mdb_flash';

export interface Flash {
  kind: 'success' | 'error';
  text: string;
}

// Cookies hold about 4 KB; a message longer than this is cut rather than lost.
const MAX_TEXT = 600;

export function setFlash(ctx: WebContext, flags: CookieFlags, flash: Flash): void {
  const text = flash.text.length > MAX_TEXT ? `${flash.text.slice(0, MAX_TEXT - 1)}…` : flash.text;
  setCookie(ctx, FLASH_COOKIE, Buffer.from(JSON.stringify({ kind: flash.kind, text })).toString('base64url'), flags);
}

/** The message left for this page, once: reading it clears it. */
export function takeFlash(ctx: WebContext, flags: CookieFlags): Flash | undefined {
  const raw = readCookie(ctx, FLASH_COOKIE);
  if (!raw) return undefined;
  clearCookie(ctx, FLASH_COOKIE, flags);
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Flash>;
    if ((parsed.kind === 'success' || parsed.kind === 'error') && typeof parsed.text === 'string')
      return { kind: parsed.kind, text: parsed.text };
  } catch {
    // A cookie we signed but cannot read is dropped like an absent one.
  }
  return undefined;
}
