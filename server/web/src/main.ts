// The public process: website, router API and (later) WebDAV on one address; reads env once, stops on SIGINT/SIGTERM.
import path from 'node:path';
import { z } from 'zod';
import { closeOnSignals, createLogger, keepFilesPrivate, listen, loadConfig, port, runMain } from '@mydropbox/server-common';
import { createApp as createRouterApp, createDavHandler, loadRouterConfig, startRouterServices } from '@mydropbox/router';
import { createApp } from './app';
import { createDispatcher } from './dispatch';
import { cookieKeysFrom } from './sessionSecret';

const REPO_ROOT = path.resolve(__dirname, '../../..');

const webEnvShape = {
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port(3000),
  PUBLIC_URL: z.url({ message: 'use the address people open, like https://files.example.com' }).optional(),
  SESSION_SECRET: z.string().min(16, { message: 'use at least 16 random characters' }).optional(),
  CLIENT_VSIX_PATH: z.string().optional(),
  CLIENT_DAEMON_PATH: z.string().optional(),
  SECURE_COOKIES: z.enum(['', '0', '1', 'true', 'false'], { message: 'use 1 or 0' }).optional(),
};

async function main(): Promise<void> {
  const env = loadConfig(webEnvShape);
  const routerConfig = loadRouterConfig();
  keepFilesPrivate([routerConfig.home]);
  const log = createLogger('web', routerConfig.logLevel);
  const publicUrl = (env.PUBLIC_URL ?? `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${env.PORT}`).replace(/\/+$/, '');
  const secureCookies = env.SECURE_COOKIES ? env.SECURE_COOKIES === '1' || env.SECURE_COOKIES === 'true' : publicUrl.startsWith('https:');

  const started = await startRouterServices(routerConfig, log);
  const routerApp = createRouterApp({ services: started.services, log, trustProxy: routerConfig.trustProxy });
  const webApp = createApp({
    services: started.services,
    log,
    cookieKeys: cookieKeysFrom(env.SESSION_SECRET, routerConfig.home),
    publicUrl,
    vsixPath: path.resolve(REPO_ROOT, env.CLIENT_VSIX_PATH ?? 'extension/dist/mydropbox.vsix'),
    daemonPath: path.resolve(REPO_ROOT, env.CLIENT_DAEMON_PATH ?? 'extension/dist/mydropbox-daemon.tgz'),
    secureCookies,
    trustProxy: routerConfig.trustProxy,
  });
  const dav = createDavHandler({ services: started.services, db: started.db, log, trustProxy: routerConfig.trustProxy });
  const handler = createDispatcher({ web: webApp.callback(), router: routerApp.callback(), dav });
  let listening;
  try {
    listening = await listen(handler, env.PORT, env.HOST);
  } catch (err) {
    await started.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`Port ${env.PORT} on ${env.HOST} is already in use: stop what runs there, or set PORT to another port.`);
    }
    throw err;
  }
  log.info({ url: listening.url, publicUrl, home: routerConfig.home }, 'MyDropbox website and API listening');
  process.stdout.write(`MyDropbox website at ${publicUrl}\n`);

  closeOnSignals(log, 'website', async () => {
    await listening.close();
    await started.close();
  });
}

runMain('MyDropbox website', main);
