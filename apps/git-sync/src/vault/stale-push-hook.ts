import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * git's `update` hook for a vault. Smart HTTP splits a push into two
 * requests (the ref advertisement, then receive-pack), each under its own
 * hold of the space's lock, so a cycle may move `main` in between. git's
 * receive-pack, for the checked-out branch (`updateInstead`), updates the
 * index and working tree *before* its ref transaction checks the old value:
 * such a stale push was refused, but left the working tree at a commit main
 * never reached. This hook runs before that step and declines the push while
 * nothing has been touched; the client pulls and pushes again.
 */
export const STALE_PUSH_HOOK = `#!/bin/sh
# Installed by git-sync. Arguments: <ref> <old> <new>.
current=$(git rev-parse -q --verify "$1^{commit}" 2>/dev/null || echo 0000000000000000000000000000000000000000)
if [ "$current" != "$2" ]; then
  echo "git-sync: $1 moved while this push was on its way; pull and push again." >&2
  exit 1
fi
exit 0
`;

/** Writes the hook if it is missing or differs. */
export function installStalePushHook(gitDir: string): Promise<void> {
  return installHook(gitDir, 'update', STALE_PUSH_HOOK);
}

/** Writes a hook if it is missing or differs; atomic, so a concurrent receive-pack never runs half a script. */
export async function installHook(gitDir: string, name: string, content: string): Promise<void> {
  const path = join(gitDir, 'hooks', name);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) return;
  await mkdir(join(gitDir, 'hooks'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode: 0o755 });
  await chmod(temporary, 0o755);
  await rename(temporary, path);
}
