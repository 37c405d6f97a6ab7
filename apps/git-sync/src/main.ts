import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { serveSwaggerUi } from './api/openapi/api-docs';
import { AppModule } from './app.module';
import { FirstRun } from './app/first-run';
import { FrameworkQuietLogger } from './app/framework-quiet-logger';
import { GracefulShutdown } from './app/graceful-shutdown';
import { fastifyOptions } from './app/http-hardening';
import { createLogger, logDestination, resolveLogFormat, scrubSecrets } from './app/logger';
import { ConfigError, loadConfig, type GitSyncConfig } from './config';

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
  const logger = createLogger(config.logLevel, logDestination(resolveLogFormat(config.logFormat)));
  const shutdown = new GracefulShutdown(logger, config.shutdownGraceMs);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, logger }),
    new FastifyAdapter({ ...fastifyOptions(config), serverFactory: shutdown.serverFactory }),
    { bufferLogs: true },
  );
  app.useLogger(new FrameworkQuietLogger(app.get(Logger)));
  shutdown.attach(app);
  shutdown.handleSignals();
  await serveSwaggerUi(app);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const base = `http://${host}:${port}`;
  logger.info(
    { url: base, lock: config.redisUrl ? 'redis' : 'in-memory', store: config.databaseUrl ? 'postgres' : 'pglite' },
    'git-sync listening',
  );

  // Serving has begun: a database that drops out now costs the demo, not the server.
  const demo = await app
    .get(FirstRun)
    .demo()
    .catch((err: unknown) => {
      logger.error({ err }, 'first-run demo could not be created; it is tried again on the next start');
      return undefined;
    });
  if (demo) {
    // The one place a token is ever shown: on stdout, never through the log.
    const url = `http://${demo.username}:${demo.token}@${host}:${port}/git/${demo.spaceId}.git`;
    process.stdout.write(
      [
        '',
        'git-sync is running on the embedded defaults.',
        `  API:    curl -H 'Authorization: Bearer ${demo.token}' ${base}/api/git-sync/status`,
        `  Clone:  git clone ${url} demo-space`,
        `  User:   ${demo.username} (admin)   Token: ${demo.token}`,
        '',
        '',
      ].join('\n'),
    );
  }
}

main().catch((err: unknown) => {
  // A driver's error may quote its connection string.
  process.stderr.write(
    scrubSecrets(`git-sync: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`),
  );
  process.exit(1);
});
