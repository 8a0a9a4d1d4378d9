// HTTP Basic with the username and an app password (never the account password), throttled like website sign-ins.
import type { Context } from 'koa';
import { MyDropboxError } from '@mydropbox/shared';
import type { RouterServices } from '../services';
import { clientAddress } from '../requestInput';

export const DAV_REALM = 'MyDropbox';

/** The user behind the request's Basic credentials; 401 without them or when they are wrong, 429 while throttled. */
export async function authenticateBasic(ctx: Context, services: RouterServices): Promise<string> {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(ctx.get('Authorization'));
  if (!m)
    throw new MyDropboxError('unauthorized', 'Sign in with your username and an app password (create one on the website under Devices).');
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new MyDropboxError('unauthorized', 'The Basic credentials must be "username:app password".');
  const device = await services.devices.authenticateAppPassword(decoded.slice(0, colon), decoded.slice(colon + 1), clientAddress(ctx));
  return device.username;
}
