import {
  derivedIdOf,
  hasConflictMarkers,
  type KnownPage,
  type MirrorEntry,
  type MirrorIndex,
  type PushedFile,
  type PushPlanInput,
  planPush,
} from '../../src/sync/push-plan';

const SPACE = '0b0c6a4e-5d1f-4c1e-9a52-3f1f7f0d2a01';
const BASIS = 'b'.repeat(40);
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

function mirrorOf(entries: Record<string, MirrorEntry>): MirrorIndex {
  const map = new Map(Object.entries(entries));
  return {
    entries: map,
    get: (path) => map.get(path),
    pathOf: (id) => [...map.keys()].sort().find((p) => map.get(p)!.id === id),
  };
}

const page = (title: string, content = '', parentPageId: string | null = null, deleted = false): KnownPage => ({
  title,
  parentPageId,
  content,
  deleted,
});

/** A plan input where the mirror and the store hold the given pages, and main changed the given files. */
function input(over: Partial<PushPlanInput> & { files?: PushedFile[] }): PushPlanInput {
  const files = over.files ?? [];
  const pages = over.pages ?? new Map<string, KnownPage>();
  return {
    spaceId: SPACE,
    basis: BASIS,
    mirror: mirrorOf({}),
    changes: files.map((f) => ({ path: f.path, newOid: f.oid })),
    files,
    pages,
    liveIds: new Set([...pages].flatMap(([id, p]) => (p.deleted ? [] : [id]))),
    idsInMain: new Map(),
    deferred: [],
    deleteCap: 500,
    ...over,
  };
}

const file = (path: string, body: string, id: string | null = null, oid = `oid-${path}`): PushedFile => ({
  path,
  oid,
  id,
  body,
});

describe('push planner', () => {
  it('a renamed file renames its page; a file moved to another folder moves it', () => {
    const plan = planPush(
      input({
        mirror: mirrorOf({
          'Parent.md': { oid: 'p', id: A },
          'Old.md': { oid: 'o', id: B },
          'Child.md': { oid: 'c', id: C },
        }),
        pages: new Map([
          [A, page('Parent')],
          [B, page('Old', 'same')],
          [C, page('Child', 'child')],
        ]),
        changes: [
          { path: 'Old.md', newOid: null },
          { path: 'New.md', newOid: 'n' },
          { path: 'Child.md', newOid: null },
          { path: 'Parent/Child.md', newOid: 'c' },
        ],
        files: [file('New.md', 'same', B, 'n'), file('Parent/Child.md', 'child', C, 'c')],
      }),
    );
    expect(plan.actions).toEqual([
      { kind: 'rename', id: B, path: 'New.md', title: 'New' },
      { kind: 'move', id: C, path: 'Parent/Child.md', parentPageId: A },
    ]);
    expect(plan.writeBack).toEqual([]);
  });

  it('creates nested new pages parents first, each under the page of its folder', () => {
    const plan = planPush(
      input({ files: [file('Top/Mid/Leaf.md', 'leaf'), file('Top.md', 'top'), file('Top/Mid.md', 'mid')] }),
    );
    const top = derivedIdOf({ spaceId: SPACE, basis: BASIS }, { path: 'Top.md', oid: 'oid-Top.md' });
    const mid = derivedIdOf({ spaceId: SPACE, basis: BASIS }, { path: 'Top/Mid.md', oid: 'oid-Top/Mid.md' });
    expect(plan.actions.map((a) => [a.kind, 'path' in a && a.path, 'parentPageId' in a && a.parentPageId])).toEqual([
      ['create', 'Top.md', null],
      ['create', 'Top/Mid.md', top],
      ['create', 'Top/Mid/Leaf.md', mid],
    ]);
    expect(plan.writeBack.map((w) => w.path)).toEqual(['Top.md', 'Top/Mid.md', 'Top/Mid/Leaf.md']);
  });

  it('gives a folder without a page of its own a page titled by the folder', () => {
    const plan = planPush(input({ files: [file('Projects/Roadmap.md', 'plan')] }));
    const folder = plan.actions[0];
    expect(folder).toMatchObject({
      kind: 'create',
      path: 'Projects.md',
      title: 'Projects',
      parentPageId: null,
      body: '',
    });
    expect(plan.actions[1]).toMatchObject({ kind: 'create', path: 'Projects/Roadmap.md', parentPageId: folder.id });
    expect(plan.writeBack.map((w) => w.path)).toEqual(['Projects.md', 'Projects/Roadmap.md']);
  });

  it('a copy of a page file carrying its id becomes a new page; the original keeps the id', () => {
    const plan = planPush(
      input({
        mirror: mirrorOf({ 'Doc.md': { oid: 'd', id: A } }),
        pages: new Map([[A, page('Doc', 'text')]]),
        files: [file('Copy.md', 'text', A)],
        idsInMain: new Map([['Doc.md', A]]),
      }),
    );
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'create', path: 'Copy.md', title: 'Copy' })]);
    expect(plan.actions[0].id).not.toBe(A);
  });

  it('an id of another space or unknown id makes a new page, not a write to that id', () => {
    const plan = planPush(input({ files: [file('Foreign.md', 'x', C)] }));
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'create', path: 'Foreign.md' })]);
    expect(plan.actions[0].id).not.toBe(C);
  });

  it('finishes a create an interrupted cycle made instead of creating a duplicate', () => {
    const f = file('New.md', 'body');
    const id = derivedIdOf({ spaceId: SPACE, basis: BASIS }, f);
    const plan = planPush(input({ files: [f], pages: new Map([[id, page('New', 'body')]]) }));
    expect(plan.actions).toEqual([]);
    expect(plan.writeBack).toEqual([{ path: 'New.md', id, body: 'body' }]);
  });

  it('defers deletes over the cap, oldest deferred first, and never deletes a page still present', () => {
    const plan = planPush(
      input({
        mirror: mirrorOf({ 'A.md': { oid: 'a', id: A }, 'B.md': { oid: 'b', id: B } }),
        pages: new Map([
          [A, page('A')],
          [B, page('B')],
          [C, page('C')],
        ]),
        changes: [
          { path: 'A.md', newOid: null },
          { path: 'B.md', newOid: null },
        ],
        deferred: [C],
        deleteCap: 2,
      }),
    );
    expect(plan.actions).toEqual([
      { kind: 'delete', id: C },
      { kind: 'delete', id: A },
    ]);
    expect(plan.deferred).toEqual([B]);
  });

  it('a file that names a soft-deleted page restores it', () => {
    const plan = planPush(
      input({ files: [file('Back.md', 'again', A)], pages: new Map([[A, page('Back', 'again', null, true)]]) }),
    );
    expect(plan.actions).toEqual([{ kind: 'restore', id: A, path: 'Back.md' }]);
  });

  it('keeps the id of a page whose file lost its front matter at the same path', () => {
    const plan = planPush(
      input({
        mirror: mirrorOf({ 'Doc.md': { oid: 'd', id: A } }),
        pages: new Map([[A, page('Doc', 'old')]]),
        files: [file('Doc.md', 'new text', null)],
      }),
    );
    expect(plan.actions).toEqual([{ kind: 'update', id: A, path: 'Doc.md', body: 'new text' }]);
    expect(plan.writeBack).toEqual([{ path: 'Doc.md', id: A, body: 'new text' }]);
  });

  it('holds back a file with conflict markers, and neither applies nor deletes its page', () => {
    const marked = file('Doc.md', '<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> other\n', A);
    marked.heldBack = 'conflict markers';
    const plan = planPush(
      input({
        mirror: mirrorOf({ 'Doc.md': { oid: 'd', id: A } }),
        pages: new Map([[A, page('Doc', 'old')]]),
        files: [marked],
      }),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.heldBack).toEqual([{ path: 'Doc.md', reason: 'conflict markers' }]);
  });
});

describe('conflict markers', () => {
  it('finds all three markers in order, and nothing less', () => {
    expect(hasConflictMarkers('a\n<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> branch\nb')).toBe(true);
    expect(hasConflictMarkers('<<<<<<<\nx\n=======\ny\n>>>>>>>\n')).toBe(true);
    expect(hasConflictMarkers('Title\n=======\n\ntext')).toBe(false);
    expect(hasConflictMarkers('>>>>>>> x\n=======\n<<<<<<< y\n')).toBe(false);
  });
});
