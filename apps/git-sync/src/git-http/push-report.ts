import type { RunOnceResult } from '../orchestrator/cycle-status';

/**
 * What a push did to the wiki, as the lines `git push` prints after `remote:`. Counts only, so the
 * lines are short and stable enough for scripts to read.
 */
export function pushReportLines(result: RunOnceResult | undefined): string[] {
  if (result === undefined) return [];
  if (result.error !== undefined) {
    return ['git-sync: the push is stored in git, but applying it to the wiki failed; the next sync retries it.'];
  }
  const push = result.push;
  if (push === undefined) return [];
  const lines = [
    `git-sync: pages created: ${push.created}, updated: ${push.updated}, renamed: ${push.renamed}, moved: ${push.moved}, deleted: ${push.deleted}`,
  ];
  if (push.deferred > 0)
    lines.push(`git-sync: deletes deferred by the per-sync cap: ${push.deferred}; later syncs apply them`);
  const conflicts = result.pull?.conflicts ?? 0;
  if (conflicts > 0) {
    lines.push(
      `git-sync: conflicts recorded: ${conflicts}; main kept the hunks both sides changed, the wiki's side is at GET /api/spaces/${result.spaceId}/conflicts`,
    );
  }
  if (push.heldBack > 0)
    lines.push(`git-sync: files held back: ${push.heldBack}; they hold conflict markers, resolve them and push again`);
  if (push.failures > 0) lines.push(`git-sync: changes that failed: ${push.failures}; the next sync retries them`);
  return lines;
}
