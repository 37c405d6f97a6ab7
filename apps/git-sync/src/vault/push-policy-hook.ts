import { join } from 'node:path';
import { installHook } from './stale-push-hook';

/** The checker the `pre-receive` hook runs; a file of its own so it needs neither the server nor a build of it. */
export const PRE_RECEIVE_SCRIPT = join(__dirname, 'hooks', 'pre-receive.cjs');

/**
 * What git itself enforces for clients, next to the hook: the engine's refs are neither advertised
 * nor writable, and `main` can be neither rewound nor deleted even if the hook were gone. Given to
 * `git http-backend` as command-line configuration, so every vault gets it with no write to its config.
 */
export const PUSH_POLICY_SETTINGS: ReadonlyArray<readonly [key: string, value: string]> = [
  ['receive.hideRefs', 'refs/heads/pages'],
  ['receive.hideRefs', 'refs/git-sync/'],
  ['uploadpack.hideRefs', 'refs/heads/pages'],
  ['uploadpack.hideRefs', 'refs/git-sync/'],
  ['receive.denyNonFastForwards', 'true'],
  ['receive.denyDeletes', 'true'],
];

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The `pre-receive` hook: this node runs the checker, with the limits the server passes in its environment. */
export function preReceiveHook(nodePath: string = process.execPath, script: string = PRE_RECEIVE_SCRIPT): string {
  return `#!/bin/sh\n# Installed by git-sync: refuses rewrites of main, other refs, and bad content, before anything is written.\nexec ${shellQuote(nodePath)} ${shellQuote(script)}\n`;
}

export function installPreReceiveHook(gitDir: string): Promise<void> {
  return installHook(gitDir, 'pre-receive', preReceiveHook());
}
