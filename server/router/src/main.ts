// Runs the router alone: reads env once, opens the central database, listens, stops on SIGINT/SIGTERM.
import { createLogger, listen } from '@mydropbox/server-common';
import { loadRouterConfig } from './config';
import { startRouterServices } from './startup';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadRouterConfig();
  const log = createLogger('router', config.logLevel);
  const started = await startRouterServices(config, log);
  const app = createApp({ services: started.services, log, trustProxy: config.trustProxy });
  const listening = await listen(app.callback(), config.port, config.host);
  log.info(
    { url: listening.url, database: config.databaseUrl.replace(/\/\/[^@]*@/, '//…@'), publicKey: config.publicKeyFile },
    'router listening',
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'router stopping');
    await listening.close();
    await started.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`router failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
