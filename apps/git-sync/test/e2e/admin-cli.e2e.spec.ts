import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeE2eEnv, type E2eEnv } from './support/e2e-env';
import { startServer, type ServerProcess } from './support/server-process';

const ADMIN_CLI = join(__dirname, '../../dist/admin.js');
const run = promisify(execFile);

/** The operator's way to a first admin without the demo: `npm run admin -- create-admin <name>`, then the API. */
describe('create-admin, then the API with its token', () => {
  let env: E2eEnv;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    env = await makeE2eEnv('admin-cli', 'pglite', { GIT_SYNC_DEMO: 'false', GIT_SYNC_POLL_INTERVAL_MS: '0' });
  });

  afterAll(async () => {
    await server?.stop();
    await env?.dispose();
  });

  const cli = (...args: string[]) =>
    run(process.execPath, [ADMIN_CLI, ...args], {
      env: { PATH: process.env.PATH, ...env.serverEnv },
      timeout: 60_000,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({
        code: err.code,
        stdout: err.stdout,
        stderr: err.stderr,
      }),
    );

  it('creates an admin and prints the token once; the token works on the API; the name is taken in any case', async () => {
    const created = await cli('create-admin', 'Ops');
    expect(created.code).toBe(0);
    const token = /Token, shown only this once: (gst_\S+)/.exec(created.stdout)?.[1];
    expect(token).toBeDefined();

    const again = await cli('create-admin', 'OPS');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already taken');
    expect((await cli('create-admin')).code).toBe(64);

    // PGlite is one process's at a time: the server starts once the command has finished.
    server = await startServer(env.serverEnv);
    const me = await server.api<{ username: string; admin: boolean }>('GET', '/api/users/me', undefined, {
      token: token!,
    });
    expect(me).toMatchObject({ status: 200, body: { username: 'Ops', admin: true } });
    expect(server.stdout.join('\n')).not.toContain('git clone');
    // Four CLI runs that each open the embedded database, plus a server start: minutes on a saturated machine.
  }, 300_000);
});
