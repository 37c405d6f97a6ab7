import { pushReportLines } from '../../../src/git-http/push-report';
import { emptyCycleStatus } from '../../../src/sync/cycle-status';

const SPACE = '0b0c6a4e-5d1f-4c1e-9a52-3f1f7f0d2a01';

describe('push report', () => {
  it('always gives the counts, and a line for each thing that needs attention', () => {
    const status = emptyCycleStatus();
    expect(pushReportLines({ spaceId: SPACE, ran: true, ...status })).toEqual([
      'git-sync: pages created: 0, updated: 0, renamed: 0, moved: 0, deleted: 0',
    ]);
    const busy = {
      ...status,
      pull: { ...status.pull, conflicts: 2 },
      push: { ...status.push, created: 1, deferred: 3, heldBack: 1, failures: 1 },
    };
    const lines = pushReportLines({ spaceId: SPACE, ran: true, ...busy });
    expect(lines[0]).toBe('git-sync: pages created: 1, updated: 0, renamed: 0, moved: 0, deleted: 0');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^git-sync: deletes deferred by the per-sync cap: 3;/),
      expect.stringMatching(new RegExp(`^git-sync: conflicts recorded: 2; .*GET /api/spaces/${SPACE}/conflicts$`)),
      expect.stringMatching(/^git-sync: files held back: 1;/),
      expect.stringMatching(/^git-sync: changes that failed: 1;/),
    ]);
  });

  it('says when the sync after the push failed, and nothing when no cycle ran', () => {
    expect(pushReportLines({ spaceId: SPACE, ran: true, error: 'Error: boom' })).toEqual([
      'git-sync: the push is stored in git, but applying it to the wiki failed; the next sync retries it.',
    ]);
    expect(pushReportLines(undefined)).toEqual([]);
  });
});
