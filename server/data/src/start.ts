// Starts a data server in-process (tests, the launcher) or from main.ts: migrations, sweep, listen.
import { AccessTokenVerifier, Logger, listen, migrateLatest, openDatabase, silentLogger } from '@mydropbox/server-common';
import { QUOTA_BYTES } from '@mydropbox/shared';
import { createDataServices } from './services';
import { createApp } from './app';

export interface StartDataServerOptions {
  serverId: number;
  /** Storage root; files go to `<root>/<serverId>/<username>/<path>`. */
  root: string;
  /** `sqlite:/path/file.sqlite` or `mysql://user:pass@host:port/db`. */
  databaseUrl: string;
  routerPublicKeyPem: string;
  port?: number;
  host?: string;
  quotaBytes?: number;
  log?: Logger;
}

export interface RunningDataServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startDataServer(opts: StartDataServerOptions): Promise<RunningDataServer> {
  const log = opts.log ?? silentLogger();
  const db = openDatabase(opts.databaseUrl);
  try {
    await migrateLatest(db, 'data');
    const services = createDataServices({ db, root: opts.root, serverId: opts.serverId, quotaBytes: opts.quotaBytes ?? QUOTA_BYTES, log });
    await services.sweep();
    const app = createApp({ services, verifier: new AccessTokenVerifier(opts.routerPublicKeyPem), log });
    const listening = await listen(app.callback(), opts.port ?? 0, opts.host ?? '127.0.0.1');
    log.info({ url: listening.url, serverId: opts.serverId, root: opts.root }, 'data server listening');
    return {
      url: listening.url,
      port: listening.port,
      async close() {
        await services.close();
        await listening.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
