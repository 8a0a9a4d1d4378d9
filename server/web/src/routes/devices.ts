// The Devices page: every signed-in device with when it was last seen, revoking any of them, and WebDAV app passwords.
import Router from '@koa/router';
import { MyDropboxError } from '@mydropbox/shared';
import { requireUser, type WebContext, type WebState } from '../state';
import type { RouteDeps } from '../app';
import { endSession } from '../session';

const KIND_NAMES: Record<string, string> = {
  web: 'Web browser',
  daemon: 'Sync daemon',
  vscode: 'VS Code',
  webdav: 'App password (WebDAV)',
};

const MAX_NAME_LENGTH = 100;

export function deviceRoutes({ services, render, siteUrl, cookies, notes }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();

  const showDevices = async (
    ctx: WebContext,
    extra: { created?: { name: string; password: string }; error?: string; nameValue?: string },
    status = 200,
  ) => {
    const user = ctx.state.user!;
    const devices = await services.devices.list(user.username);
    render(
      ctx,
      'devices',
      {
        title: 'Devices · MyDropbox',
        devices: devices.map((d) => ({
          ...d,
          lastSeen: d.lastSeenAt ?? d.createdAt,
          kindName: KIND_NAMES[d.kind] ?? d.kind,
          current: d.id === user.deviceId,
        })),
        davUrl: `${siteUrl(ctx)}/dav/`,
        created: extra.created,
        error: extra.error,
        nameValue: extra.nameValue ?? '',
      },
      status,
    );
  };

  router.get('/devices', async (ctx) => {
    if (!requireUser(ctx)) return;
    // A new app password arrives here once, after the form's redirect; a reload shows it no more.
    const created = notes.take<{ name: string; password: string }>(ctx, '/devices');
    if (created) ctx.set('Cache-Control', 'no-store');
    await showDevices(ctx, { created });
  });

  router.post('/devices/app-passwords', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const raw = (ctx.request.body as Record<string, unknown> | undefined)?.name;
    const name = typeof raw === 'string' ? raw.trim() : '';
    if (name.length > MAX_NAME_LENGTH) {
      return showDevices(
        ctx,
        { error: `Keep the name under ${MAX_NAME_LENGTH} characters.`, nameValue: name.slice(0, MAX_NAME_LENGTH) },
        400,
      );
    }
    const created = await services.devices.createAppPassword(user.username, name || 'WebDAV');
    // POST/redirect/GET: a reload of the next page cannot make a second password. The password rides
    // to that page once, sealed in a short-lived cookie (see sealedNotes.ts); the server keeps only its hash.
    notes.put(ctx, '/devices', { name: created.device.name, password: created.password });
    ctx.status = 303;
    ctx.redirect('/devices');
  });

  const deviceOf = async (ctx: WebContext) => {
    const user = ctx.state.user!;
    const id = Number(ctx.params.id);
    const device = Number.isSafeInteger(id) && id > 0 ? (await services.devices.list(user.username)).find((d) => d.id === id) : undefined;
    if (!device) throw new MyDropboxError('not_found', 'There is no such device on your account; it may be signed out already.');
    return device;
  };

  // Asks first: revoking signs the device out at once, and a sync client must be signed in again.
  router.get('/devices/:id/revoke', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const device = await deviceOf(ctx);
    render(ctx, 'revokeDevice', {
      title: 'Revoke a device · MyDropbox',
      device: { ...device, kindName: KIND_NAMES[device.kind] ?? device.kind, current: device.id === user.deviceId },
    });
  });

  router.post('/devices/:id/revoke', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const id = (await deviceOf(ctx)).id;
    if (id === user.deviceId) {
      await endSession(ctx, services, cookies);
      return ctx.redirect('/login');
    }
    await services.devices.revoke(user.username, id);
    ctx.status = 303;
    ctx.redirect('/devices');
  });

  return router;
}
