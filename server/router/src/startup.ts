// Start-up shared by the router's main and the website's main: database, migrations, keys, data servers, services.
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { createPublicKey } from 'node:crypto';
import { AccessTokenSigner, generateSigningKeys, KeyPairPem, Logger, migrateLatest, openDatabase } from '@mydropbox/server-common';
import { createRouterServices, DEFAULT_THROTTLE_POLICY, RouterServices } from './services';
import type { RouterConfig } from './config';
import { publicKeyFileFor } from './config';

export interface StartedRouterServices {
  services: RouterServices;
  db: Knex;
  /** The public key data servers need to verify access tokens (also written next to the private key). */
  publicKeyPem: string;
  close(): Promise<void>;
}

/** Reads the router's Ed25519 key pair, or creates it on first start (both 0600; data servers are given a copy of the public key). */
export function loadOrCreateSigningKeys(privateKeyFile: string, publicKeyFile = publicKeyFileFor(privateKeyFile)): KeyPairPem {
  if (fs.existsSync(privateKeyFile)) {
    const privateKeyPem = fs.readFileSync(privateKeyFile, 'utf8');
    const publicKeyPem = fs.existsSync(publicKeyFile) ? fs.readFileSync(publicKeyFile, 'utf8') : derivePublicKey(privateKeyPem);
    if (!fs.existsSync(publicKeyFile)) fs.writeFileSync(publicKeyFile, publicKeyPem, { mode: 0o600 });
    return { privateKeyPem, publicKeyPem };
  }
  const keys = generateSigningKeys();
  fs.mkdirSync(path.dirname(privateKeyFile), { recursive: true, mode: 0o700 });
  // 'wx' fails if another process created the key meanwhile, rather than silently replacing it.
  fs.writeFileSync(privateKeyFile, keys.privateKeyPem, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(publicKeyFile, keys.publicKeyPem, { mode: 0o600 });
  return keys;
}

function derivePublicKey(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

export async function startRouterServices(config: RouterConfig, log: Logger): Promise<StartedRouterServices> {
  const db = openDatabase(config.databaseUrl);
  try {
    await migrateLatest(db, 'central');
    const keys = loadOrCreateSigningKeys(config.privateKeyFile, config.publicKeyFile);
    const services = createRouterServices({
      db,
      log,
      signer: new AccessTokenSigner(keys.privateKeyPem),
      healthPollMs: config.healthPollMs,
      pollHealth: false,
      throttlePolicy: {
        ...DEFAULT_THROTTLE_POLICY,
        signUpAddress: { ...DEFAULT_THROTTLE_POLICY.signUpAddress, limit: config.signUpsPerAddressPerHour },
        signUpGlobal: { ...DEFAULT_THROTTLE_POLICY.signUpGlobal, limit: config.signUpsPerHour },
      },
    });
    for (const s of config.dataServers) {
      await services.dataServers.register({ id: s.id, host: s.host, port: s.port, capacityGb: config.dataServerCapacityGb });
    }
    // One round before serving, so sign-ups right after start already know which servers are up.
    await services.dataServers.checkNow();
    services.dataServers.start();
    return {
      services,
      db,
      publicKeyPem: keys.publicKeyPem,
      close: async () => {
        services.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
