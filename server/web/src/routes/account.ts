// Sign up, log in and log out: forms that keep what was typed (never the password) and say what went wrong.
import Router from '@koa/router';
import { MyDropboxError } from '@mydropbox/shared';
import { MIN_PASSWORD_LENGTH, USERNAME_RULE, clientAddress } from '@mydropbox/router';
import type { WebContext, WebState } from '../state';
import type { RouteDeps } from '../app';
import { endSession, startSession } from '../session';
import { deviceNameOf } from '../deviceName';

type Form = Record<string, unknown>;

function field(body: Form | undefined, name: string): string {
  const v = body?.[name];
  return typeof v === 'string' ? v : '';
}

/** Only same-site paths, so a crafted link cannot send people elsewhere after they log in. */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/files';
  return value;
}

export function accountRoutes({ services, render, cookies }: RouteDeps): Router<WebState> {
  /** A web session is a device token of kind 'web' kept in the session cookie. */
  const signInBrowser = async (ctx: WebContext, username: string, password: string) => {
    const session = await services.accounts.signIn({
      username,
      password,
      clientAddress: clientAddress(ctx),
      deviceName: deviceNameOf(ctx.get('User-Agent')),
      deviceKind: 'web',
    });
    startSession(ctx, session.deviceToken, cookies);
  };

  const router = new Router<WebState>();

  const showSignup = (ctx: WebContext, values: { username: string; email: string }, error?: string, status = 200) =>
    render(
      ctx,
      'signup',
      { title: 'Create your MyDropbox account', values, error, usernameRule: USERNAME_RULE, minPasswordLength: MIN_PASSWORD_LENGTH },
      status,
    );
  const showLogin = (ctx: WebContext, values: { username: string; next: string }, error?: string, status = 200) =>
    render(ctx, 'login', { title: 'Log in to MyDropbox', values, error }, status);

  router.get('/signup', (ctx) => {
    if (ctx.state.user) return ctx.redirect('/files');
    showSignup(ctx, { username: '', email: '' });
  });

  router.post('/signup', async (ctx) => {
    const body = ctx.request.body as Form | undefined;
    const values = { username: field(body, 'username').trim(), email: field(body, 'email').trim() };
    const password = field(body, 'password');
    const missing = !values.username
      ? 'Choose a username.'
      : !values.email
        ? 'Enter your email address.'
        : !password
          ? 'Choose a password.'
          : '';
    if (missing) return showSignup(ctx, values, missing, 400);
    try {
      await services.accounts.signUp({ username: values.username, email: values.email, password, clientAddress: clientAddress(ctx) });
      await signInBrowser(ctx, values.username, password);
      ctx.redirect('/files');
    } catch (err) {
      if (!MyDropboxError.is(err)) throw err;
      const message = signupMessage(err);
      if (!message) throw err;
      showSignup(ctx, values, message, err.status);
    }
  });

  router.get('/login', (ctx) => {
    const next = safeNext(ctx.query.next);
    if (ctx.state.user) return ctx.redirect(next);
    showLogin(ctx, { username: '', next });
  });

  router.post('/login', async (ctx) => {
    const body = ctx.request.body as Form | undefined;
    const values = { username: field(body, 'username').trim(), next: safeNext(field(body, 'next')) };
    const password = field(body, 'password');
    if (!values.username || !password) return showLogin(ctx, values, 'Enter your username and password.', 400);
    try {
      await signInBrowser(ctx, values.username, password);
      ctx.redirect(values.next);
    } catch (err) {
      if (MyDropboxError.is(err, 'bad_credentials')) return showLogin(ctx, values, 'Wrong username or password.', 401);
      if (MyDropboxError.is(err, 'rate_limited')) return showLogin(ctx, values, err.message, 429);
      if (MyDropboxError.is(err, 'invalid_request')) return showLogin(ctx, values, 'Wrong username or password.', 401);
      throw err;
    }
  });

  router.post('/logout', async (ctx) => {
    await endSession(ctx, services, cookies);
    ctx.redirect('/');
  });

  return router;
}

function signupMessage(err: MyDropboxError): string | undefined {
  switch (err.code) {
    case 'username_taken':
      return 'That username is taken. Choose another one.';
    case 'email_taken':
      return 'That email address already has an account. Log in instead, or use another address.';
    case 'invalid_request':
    case 'no_capacity':
    case 'rate_limited':
    case 'server_unavailable':
      return err.message;
    default:
      return undefined;
  }
}
