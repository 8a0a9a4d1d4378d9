// The account page: change the password (signing out the other sessions, optionally keeping devices) and delete the account.
import Router from '@koa/router';
import { MyDropboxError } from '@mydropbox/shared';
import { MIN_PASSWORD_LENGTH, clientAddress } from '@mydropbox/router';
import { requireUser, type WebContext, type WebState } from '../state';
import type { RouteDeps } from '../app';
import { endSession } from '../session';

type Form = Record<string, unknown>;
const field = (body: Form | undefined, name: string) => (typeof body?.[name] === 'string' ? (body[name] as string) : '');

// What a person can act on; anything else is a page error.
function refusal(err: unknown): string | undefined {
  if (MyDropboxError.is(err, 'bad_credentials') || MyDropboxError.is(err, 'invalid_request') || MyDropboxError.is(err, 'rate_limited'))
    return err.message;
  if (MyDropboxError.is(err, 'server_unavailable')) return err.message;
  return undefined;
}

export function accountSettingsRoutes({ services, render, cookies, notes }: RouteDeps): Router<WebState> {
  const router = new Router<WebState>();

  const showAccount = async (
    ctx: WebContext,
    extra: { changed?: string; passwordError?: string; deleteError?: string; keepDevices?: boolean },
    status = 200,
  ) => {
    const me = await services.accounts.getUser(ctx.state.user!.username);
    render(
      ctx,
      'account',
      { title: 'Your account · MyDropbox', email: me.email, minPasswordLength: MIN_PASSWORD_LENGTH, ...extra },
      status,
    );
  };

  router.get('/account', async (ctx) => {
    if (!requireUser(ctx)) return;
    await showAccount(ctx, { changed: notes.take<string>(ctx, '/account') });
  });

  router.post('/account/password', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const body = ctx.request.body as Form | undefined;
    const keepDevices = field(body, 'keepDevices') === '1';
    try {
      const { signedOut } = await services.accounts.changePassword({
        username: user.username,
        currentPassword: field(body, 'currentPassword'),
        newPassword: field(body, 'newPassword'),
        clientAddress: clientAddress(ctx),
        currentDeviceId: user.deviceId,
        keepDevices,
      });
      const what = keepDevices ? 'other browser' : 'other browser, device or app password';
      notes.put(
        ctx,
        '/account',
        `Your password was changed. ${signedOut === 0 ? `No ${what} was signed in.` : `${signedOut} ${what}${signedOut === 1 ? ' was' : 's were'} signed out.`}`,
      );
      ctx.status = 303;
      ctx.redirect('/account');
    } catch (err) {
      const message = refusal(err);
      if (!message) throw err;
      await showAccount(ctx, { passwordError: message, keepDevices }, MyDropboxError.is(err) ? err.status : 400);
    }
  });

  router.post('/account/delete', async (ctx) => {
    const user = requireUser(ctx);
    if (!user) return;
    const body = ctx.request.body as Form | undefined;
    if (field(body, 'confirm') !== '1') {
      return showAccount(ctx, { deleteError: 'Tick the box to confirm that your files cannot be recovered.' }, 400);
    }
    try {
      await services.accounts.deleteAccount({
        username: user.username,
        password: field(body, 'password'),
        clientAddress: clientAddress(ctx),
        currentDeviceId: user.deviceId,
      });
    } catch (err) {
      const message = refusal(err);
      if (!message) throw err;
      return showAccount(ctx, { deleteError: message }, MyDropboxError.is(err) ? err.status : 400);
    }
    ctx.state.user = undefined;
    await endSession(ctx, services, cookies);
    notes.put(ctx, '/', 'Your account and all its files were deleted.');
    ctx.status = 303;
    ctx.redirect('/');
  });

  return router;
}
