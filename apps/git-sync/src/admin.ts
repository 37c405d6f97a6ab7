import 'reflect-metadata';
import { AccountStore, UsernameTakenError } from './accounts';
import { USERNAME_PATTERN } from './common/auth-defaults';
import { openEngine } from './app/engine.module';
import { createLogger, scrubSecrets } from './app/logger';
import { ConfigError, loadConfig } from './config';

const USAGE = 'usage: npm run admin -- create-admin <username>';

/**
 * `npm run admin -- create-admin <name>`: creates an admin and prints their
 * token once, on this command's stdout, for the operator who ran it. Uses the
 * server's configuration (DATABASE_URL, GIT_SYNC_DATA_DIR). On the embedded
 * PGlite database, run it while the server is stopped: PGlite belongs to one
 * process at a time.
 */
async function main(argv: readonly string[]): Promise<number> {
  const [command, username, ...rest] = argv;
  if (command !== 'create-admin' || username === undefined || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  if (!USERNAME_PATTERN.test(username)) {
    process.stderr.write(
      `git-sync admin: the username must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit\n`,
    );
    return 64;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`git-sync admin: ${err.message}\n`);
    return 2;
  }
  // Warnings and errors only: the token below is the one thing this command is for.
  const engine = await openEngine(
    config,
    createLogger('warn', { write: (line: string) => process.stderr.write(line) }),
  );
  try {
    const accounts = new AccountStore(engine.db);
    const user = await accounts.createUser(username, { admin: true });
    const { token } = await accounts.issueToken(user.id, 'created by create-admin');
    process.stdout.write(
      [
        `Created admin ${user.username} (${user.id}).`,
        `Token, shown only this once: ${token}`,
        `  curl -H 'Authorization: Bearer ${token}' http://${config.host}:${config.port}/api/users/me`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (err) {
    if (!(err instanceof UsernameTakenError)) throw err;
    process.stderr.write(
      `git-sync admin: ${err.message}; an admin can grant admin with PATCH /api/users/<id> {"admin": true}\n`,
    );
    return 1;
  } finally {
    await engine.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(scrubSecrets(`git-sync admin: ${err instanceof Error ? err.message : String(err)}\n`));
    process.exit(1);
  },
);
