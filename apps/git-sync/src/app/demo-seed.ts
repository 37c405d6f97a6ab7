import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccountStore } from '../accounts';
import type { PageStore } from '../pages/page-store';

export interface DemoCredentials {
  spaceId: string;
  username: string;
  token: string;
}

const DEMO_USER = 'demo';
const CREDENTIALS_FILE = 'demo-credentials.json';

/** A first run: no space and no user yet. */
export async function isFirstRun(pages: PageStore, accounts: AccountStore): Promise<boolean> {
  return (await pages.listSpaces()).length === 0 && (await accounts.listUsers()).length === 0;
}

/**
 * Creates a demo space with a few pages, an admin user with write access and
 * an access token when `firstRun` (see `isFirstRun`), and keeps the
 * credentials in the data directory (mode 0600) so later runs can print the
 * clone command again; the token itself is stored only hashed in the database.
 * `beforeSave` runs between the seed and the credentials file, which is what
 * tells a waiting reader the demo is ready.
 */
export async function ensureDemo(
  pages: PageStore,
  accounts: AccountStore,
  dataDir: string,
  firstRun: boolean,
  beforeSave: (spaceId: string) => Promise<unknown> = () => Promise.resolve(),
): Promise<DemoCredentials | undefined> {
  const file = join(dataDir, CREDENTIALS_FILE);
  const saved = await readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as DemoCredentials,
    () => undefined,
  );
  if (saved) return saved;
  if (!firstRun) return undefined;

  const space = await pages.createSpace({ name: 'Demo', gitSyncEnabled: true });
  const welcome = await pages.createPage(
    space.id,
    { title: 'Welcome', content: '# Welcome\n\nEdit this page in the wiki, or clone the space and push markdown.\n' },
    'user',
  );
  await pages.createPage(
    space.id,
    {
      title: 'Getting started',
      parentPageId: welcome.id,
      content: 'Pages nest: children live in a folder named after their parent.\n',
    },
    'user',
  );
  const user = await accounts.createUser(DEMO_USER, { admin: true });
  await accounts.setMembership(space.id, user.id, 'write');
  const { token } = await accounts.issueToken(user.id, 'demo');
  await beforeSave(space.id);
  const credentials: DemoCredentials = { spaceId: space.id, username: user.username, token };
  // Written aside and renamed into place: whoever waits for the file never reads half of it.
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, file);
  return credentials;
}
