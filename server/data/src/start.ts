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
  /** Below this much free disk the server takes no new users (default: 5% of the disk). */
  minFreeBytes?: number;
  log?: Logger;
  /** Days replaced and deleted files are kept (default 30; 0 keeps none). */
  versionRetentionDays?: number;
  /** How often expired versions are purged (default hourly; 0: only when asked, as tests do). */
  purgeIntervalMs?: number;
  /** The clock of version history (tests move it forward). */
  now?: () => number;
}

export interface RunningDataServer {
  url: string;
  port: number;
  /** Purges expired versions now (the timer does it on its own). */
  purge(): Promise<{ versions: number; packs: number }>;
  close(): Promise<void>;
}

export const DEFAULT_PURGE_INTERVAL_MS = 60 * 60 * 1000;

export async function startDataServer(opts: StartDataServerOptions): Promise<RunningDataServer> {
  const log = opts.log ?? silentLogger();
  const db = openDatabase(opts.databaseUrl);
  try {
    await migrateLatest(db, 'data');
    const services = createDataServices({
      db,
      root: opts.root,
      serverId: opts.serverId,
      quotaBytes: opts.quotaBytes ?? QUOTA_BYTES,
      minFreeBytes: opts.minFreeBytes,
      log,
      versionRetentionDays: opts.versionRetentionDays,
      now: opts.now,
    });
    await services.sweep();
    await services.purge(); // what expired while the server was down
    // One purge at a time: a slow one is not overlapped by the next tick.
    let purging: Promise<{ versions: number; packs: number }> | undefined;
    const purge = () => (purging ??= services.purge().finally(() => (purging = undefined)));
    const interval = opts.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
    const timer =
      interval > 0
        ? setInterval(() => {
            purge().then(
              (r) => (r.versions || r.packs) && log.info(r, 'purged expired versions'),
              (err: unknown) => log.error({ err }, 'purging expired versions failed; it is tried again at the next interval'),
            );
          }, interval)
        : undefined;
    timer?.unref();
    const app = createApp({ services, verifier: new AccessTokenVerifier(opts.routerPublicKeyPem), log });
    const listening = await listen(app.callback(), opts.port ?? 0, opts.host ?? '127.0.0.1');
    log.info({ url: listening.url, serverId: opts.serverId, root: opts.root }, 'data server listening');
    return {
      url: listening.url,
      port: listening.port,
      purge,
      async close() {
        if (timer) clearInterval(timer);
        await purging?.catch(() => undefined);
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
