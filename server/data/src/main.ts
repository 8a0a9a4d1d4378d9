// The data server process: reads its settings from the environment once, starts, and stops on SIGINT/SIGTERM.
import './threadpool';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { closeOnSignals, createLogger, keepFilesPrivate, loadConfig, port, runMain } from '@mydropbox/server-common';
import { QUOTA_BYTES } from '@mydropbox/shared';
import { DEFAULT_PURGE_INTERVAL_MS, startDataServer } from './start';
import { DEFAULT_VERSION_RETENTION_DAYS } from './services';

async function main(): Promise<void> {
  const env = loadConfig({
    DATA_SERVER_ID: z.coerce.number().int().min(1),
    DATA_HOST: z.string().default('127.0.0.1'),
    DATA_PORT: port(7101),
    DATA_ROOT: z.string().optional(),
    DATA_DATABASE_URL: z.string().optional(),
    DATA_QUOTA_BYTES: z.coerce.number().int().min(0).default(QUOTA_BYTES),
    DATA_MIN_FREE_BYTES: z.coerce.number().int().min(0).optional(),
    VERSION_RETENTION_DAYS: z.coerce.number().min(0).max(36500).default(DEFAULT_VERSION_RETENTION_DAYS),
    VERSION_PURGE_INTERVAL_SECONDS: z.coerce
      .number()
      .min(0)
      .default(DEFAULT_PURGE_INTERVAL_MS / 1000),
    ROUTER_PUBLIC_KEY: z.string().optional(),
    ROUTER_PUBLIC_KEY_FILE: z.string().optional(),
    MYDROPBOX_HOME: z.string().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });
  const log = createLogger(`data-${env.DATA_SERVER_ID}`, env.LOG_LEVEL);
  const root = path.resolve(env.DATA_ROOT ?? path.join(env.MYDROPBOX_HOME ?? './.mydropbox', 'data'));
  keepFilesPrivate([root]);
  const databaseUrl = env.DATA_DATABASE_URL ?? `sqlite:${path.join(root, `data-server-${env.DATA_SERVER_ID}.sqlite`)}`;
  const routerPublicKeyPem =
    env.ROUTER_PUBLIC_KEY ?? (env.ROUTER_PUBLIC_KEY_FILE ? fs.readFileSync(env.ROUTER_PUBLIC_KEY_FILE, 'utf8') : undefined);
  if (!routerPublicKeyPem)
    throw new Error('Invalid configuration:\n  ROUTER_PUBLIC_KEY or ROUTER_PUBLIC_KEY_FILE: the router public key (PEM) is required');

  const server = await startDataServer({
    serverId: env.DATA_SERVER_ID,
    root,
    databaseUrl,
    routerPublicKeyPem,
    port: env.DATA_PORT,
    host: env.DATA_HOST,
    quotaBytes: env.DATA_QUOTA_BYTES,
    minFreeBytes: env.DATA_MIN_FREE_BYTES,
    versionRetentionDays: env.VERSION_RETENTION_DAYS,
    purgeIntervalMs: env.VERSION_PURGE_INTERVAL_SECONDS * 1000,
    log,
  });
  closeOnSignals(log, `data server ${env.DATA_SERVER_ID}`, () => server.close());
}

runMain('data server', main);
