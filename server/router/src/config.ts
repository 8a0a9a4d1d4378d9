// The router's settings, read from the environment once and validated; the website's main reuses them.
import path from 'node:path';
import { z } from 'zod';
import { loadConfig, port } from '@mydropbox/server-common';

export interface DataServerSetting {
  id: number;
  host: string;
  port: number;
}

export interface RouterConfig {
  host: string;
  port: number;
  home: string;
  databaseUrl: string;
  privateKeyFile: string;
  publicKeyFile: string;
  dataServers: DataServerSetting[];
  dataServerCapacityGb: number;
  trustProxy: boolean;
  healthPollMs: number;
  logLevel: string;
  /** New accounts allowed per hour from one address, and from everywhere together. */
  signUpsPerAddressPerHour: number;
  signUpsPerHour: number;
}

const flag = z
  .enum(['', '0', '1', 'true', 'false', 'yes', 'no'], { message: 'use 1 or 0' })
  .default('0')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

export const routerEnvShape = {
  ROUTER_HOST: z.string().min(1).default('127.0.0.1'),
  ROUTER_PORT: port(3001),
  MYDROPBOX_HOME: z.string().min(1).default('./.mydropbox'),
  DATABASE_URL: z.string().optional(),
  ROUTER_PRIVATE_KEY_FILE: z.string().optional(),
  DATA_SERVERS: z.string().default(''),
  DATA_SERVER_CAPACITY_GB: z.coerce.number().int().min(0).default(1000),
  TRUST_PROXY: flag,
  HEALTH_POLL_MS: z.coerce.number().int().min(100).default(5000),
  SIGNUPS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(5),
  SIGNUPS_PER_HOUR: z.coerce.number().int().min(1).default(50),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** "1=127.0.0.1:7101,2=[::1]:7102" → [{ id: 1, host: '127.0.0.1', port: 7101 }, …]; throws naming DATA_SERVERS. */
export function parseDataServers(value: string): DataServerSetting[] {
  const out: DataServerSetting[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)=(\[[^\]]+\]|[^:]+):(\d+)$/.exec(item);
    const id = m ? Number(m[1]) : NaN;
    const p = m ? Number(m[3]) : NaN;
    if (!m || id < 1 || p < 1 || p > 65535) {
      throw new Error(
        `Invalid configuration:\n  DATA_SERVERS: "${item}" should look like 1=127.0.0.1:7101 (id=host:port, comma-separated)`,
      );
    }
    out.push({ id, host: m[2].replace(/^\[|\]$/g, ''), port: p });
  }
  return out;
}

export function loadRouterConfig(env: NodeJS.ProcessEnv = process.env): RouterConfig {
  const e = loadConfig(routerEnvShape, env);
  const home = path.resolve(e.MYDROPBOX_HOME);
  const privateKeyFile = path.resolve(e.ROUTER_PRIVATE_KEY_FILE ?? path.join(home, 'keys', 'router-ed25519.pem'));
  return {
    host: e.ROUTER_HOST,
    port: e.ROUTER_PORT,
    home,
    databaseUrl: e.DATABASE_URL ?? `sqlite:${path.join(home, 'central.sqlite')}`,
    privateKeyFile,
    publicKeyFile: publicKeyFileFor(privateKeyFile),
    dataServers: parseDataServers(e.DATA_SERVERS),
    dataServerCapacityGb: e.DATA_SERVER_CAPACITY_GB,
    trustProxy: e.TRUST_PROXY,
    healthPollMs: e.HEALTH_POLL_MS,
    logLevel: e.LOG_LEVEL,
    signUpsPerAddressPerHour: e.SIGNUPS_PER_ADDRESS_PER_HOUR,
    signUpsPerHour: e.SIGNUPS_PER_HOUR,
  };
}

/** router-ed25519.pem → router-ed25519.pub.pem beside it (what data servers are given). */
export function publicKeyFileFor(privateKeyFile: string): string {
  return privateKeyFile.replace(/(\.pem)?$/, '.pub.pem');
}
