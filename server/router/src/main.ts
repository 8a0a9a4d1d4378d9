// Runs the router alone: reads env once, opens the central database, listens, stops on SIGINT/SIGTERM.
import { closeOnSignals, createLogger, keepFilesPrivate, listen, runMain } from '@mydropbox/server-common';
import { loadRouterConfig } from './config';
import { startRouterServices } from './startup';
import { createApp } from './app';

async function main(): Promise<void> {
  const config = loadRouterConfig();
  keepFilesPrivate([config.home]);
  const log = createLogger('router', config.logLevel);
  const started = await startRouterServices(config, log);
  const app = createApp({ services: started.services, log, trustProxy: config.trustProxy });
  const listening = await listen(app.callback(), config.port, config.host);
  log.info(
    { url: listening.url, database: config.databaseUrl.replace(/\/\/[^@]*@/, '//…@'), publicKey: config.publicKeyFile },
    'router listening',
  );
  closeOnSignals(log, 'router', async () => {
    await listening.close();
    await started.close();
  });
}

runMain('router', main);
