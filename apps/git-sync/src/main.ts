import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import pino from 'pino';
import { AccountStore } from './accounts';
import { AppModule } from './app.module';
import { ensureDemo } from './app/demo-seed';
import { GracefulShutdown } from './app/graceful-shutdown';
import { ConfigError, loadConfig, type GitSyncConfig } from './config';
import { GitSyncOrchestrator } from './orchestrator/git-sync.orchestrator';
import { PageStore } from './pages/page-store';

// Matches the lock's own grace for running cycles: a push in flight gets as
// long to finish as a cycle does.
const SHUTDOWN_GRACE_MS = 10_000;

function configOrExit(): GitSyncConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`git-sync: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } });
  const shutdown = new GracefulShutdown(logger, SHUTDOWN_GRACE_MS);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, logger }),
    new FastifyAdapter({ serverFactory: shutdown.serverFactory }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  shutdown.attach(app);
  shutdown.handleSignals();
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const base = `http://${host}:${port}`;
  logger.info({ url: base, lock: config.redisUrl ? 'redis' : 'in-memory', store: config.databaseUrl ? 'postgres' : 'pglite' }, 'git-sync listening');

  if (config.seedDemo) {
    const orchestrator = app.get(GitSyncOrchestrator);
    // Serving has begun: a database that drops out now costs the demo, not the server.
    const demo = await ensureDemo(app.get(PageStore), app.get(AccountStore), config.dataDir, (id) => orchestrator.provision(id)).catch(
      (err: unknown) => {
        logger.error({ err }, 'first-run demo could not be created; it is tried again on the next start');
        return undefined;
      },
    );
    if (demo) {
      const url = `http://${demo.username}:${demo.token}@${host}:${port}/git/${demo.spaceId}.git`;
      process.stdout.write(
        [
          '',
          'git-sync is running on the embedded defaults.',
          `  API:    ${base}/api/git-sync/status`,
          `  Clone:  git clone ${url} demo-space`,
          `  User:   ${demo.username}   Token: ${demo.token}`,
          '',
          '',
        ].join('\n'),
      );
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`git-sync: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
