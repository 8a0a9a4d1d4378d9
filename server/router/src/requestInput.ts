// Reading request input for routes: zod-checked JSON bodies, the Bearer device, the client's address.
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { MyDropboxError } from '@mydropbox/shared';
import { bearerToken } from '@mydropbox/server-common';
import type { AuthenticatedDevice, RouterServices } from './services';

export const deviceKindSchema = z.enum(['daemon', 'vscode', 'webdav', 'web']);

/**
 * Parses a JSON body against a schema (a missing body reads as `{}`); the first problem becomes an invalid_request a
 * person can act on. The data server's parseBodyWithPathCode differs: its bodies carry paths, answered `invalid_path`.
 */
export function parseBodyOrEmpty<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.length > 0 ? `"${issue.path.join('.')}"` : 'The request body';
    throw new MyDropboxError('invalid_request', `${field}: ${issue.message}. Send a JSON object with the documented fields.`);
  }
  return result.data;
}

export interface DeviceState {
  device: AuthenticatedDevice;
}

/** Middleware: the request must carry a valid device token as `Authorization: Bearer`. */
export function requireDevice(services: RouterServices) {
  return async (ctx: Context, next: Next): Promise<void> => {
    (ctx.state as DeviceState).device = await services.devices.authenticate(bearerToken(ctx));
    await next();
  };
}

export function deviceOf(ctx: Context): AuthenticatedDevice {
  return (ctx.state as DeviceState).device;
}

/** The socket address, or with a trusted proxy the address it reports (Koa's app.proxy + maxIpsCount). */
export function clientAddress(ctx: Context): string {
  const ip = ctx.ip || ctx.req.socket.remoteAddress || 'unknown';
  return ip.startsWith('::ffff:') ? ip.slice('::ffff:'.length) : ip;
}
