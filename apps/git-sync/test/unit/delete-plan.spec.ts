import { planDeletes } from '../../src/sync/delete-plan';
import { derivedPageId } from '../../src/sync/derived-page-id';
import { isUuid } from '../../src/pages/uuid';

describe('delete plan', () => {
  it('applies everything under the cap', () => {
    expect(planDeletes({ deferred: [], requested: ['b', 'a'], cap: 5 })).toEqual({ apply: ['a', 'b'], defer: [] });
  });

  it('defers what exceeds the cap instead of dropping it', () => {
    const plan = planDeletes({ deferred: [], requested: ['e', 'd', 'c', 'b', 'a'], cap: 2 });
    expect(plan).toEqual({ apply: ['a', 'b'], defer: ['c', 'd', 'e'] });
  });

  it('serves earlier deferred deletes first and never lists one twice', () => {
    const plan = planDeletes({ deferred: ['x', 'y'], requested: ['a', 'y'], cap: 2 });
    expect(plan).toEqual({ apply: ['x', 'y'], defer: ['a'] });
  });

  it('treats a zero cap as defer-all and an infinite cap as no cap', () => {
    expect(planDeletes({ deferred: [], requested: ['a'], cap: 0 })).toEqual({ apply: [], defer: ['a'] });
    expect(planDeletes({ deferred: ['b'], requested: ['a'], cap: Infinity })).toEqual({ apply: ['b', 'a'], defer: [] });
  });
});

describe('derived page id', () => {
  it('is a stable uuid for the same file and differs for another', () => {
    const a = derivedPageId('space', 'commit', 'a.md', 'blob');
    expect(isUuid(a)).toBe(true);
    expect(derivedPageId('space', 'commit', 'a.md', 'blob')).toBe(a);
    expect(derivedPageId('space', 'commit', 'b.md', 'blob')).not.toBe(a);
    expect(derivedPageId('other', 'commit', 'a.md', 'blob')).not.toBe(a);
  });
});
