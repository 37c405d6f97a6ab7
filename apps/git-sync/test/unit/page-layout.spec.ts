import { isManagedPath, layoutPages, stemOf, dirOf, uniqueStem } from '../../src/vault/page-layout';

const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s));
const node = (id: string, title: string, parentPageId: string | null = null, created = 0) => ({
  id,
  title,
  parentPageId,
  createdAt: at(created),
});

describe('page layout', () => {
  it('puts children under a directory named like the parent file', () => {
    const paths = layoutPages([
      node('a', 'Guide'),
      node('b', 'Install', 'a'),
      node('c', 'Deep', 'b'),
      node('d', 'FAQ'),
    ]);
    expect(Object.fromEntries(paths)).toEqual({
      a: 'Guide.md',
      b: 'Guide/Install.md',
      c: 'Guide/Install/Deep.md',
      d: 'FAQ.md',
    });
  });

  it('suffixes colliding siblings by age, so adding a page never renames an older one', () => {
    const older = [node('z', 'Dup', null, 1), node('y', 'dup', null, 2)];
    const paths = layoutPages(older);
    expect(paths.get('z')).toBe('Dup.md');
    expect(paths.get('y')).toBe('dup (2).md');
    const withNewer = layoutPages([...older, node('a', 'DUP', null, 3)]);
    expect(withNewer.get('z')).toBe('Dup.md');
    expect(withNewer.get('y')).toBe('dup (2).md');
    expect(withNewer.get('a')).toBe('DUP (3).md');
  });

  it('is independent of input order', () => {
    const nodes = [
      node('a', 'X', null, 1),
      node('b', 'x', null, 1),
      node('c', 'Child', 'b', 2),
      node('d', 'Y', null, 0),
    ];
    const forward = Object.fromEntries(layoutPages(nodes));
    const backward = Object.fromEntries(layoutPages([...nodes].reverse()));
    expect(backward).toEqual(forward);
    expect(forward.c).toBe('x (2)/Child.md');
  });

  it('keeps a file and a sibling directory from sharing a name', () => {
    const paths = layoutPages([
      node('a', 'notes', null, 1),
      node('b', 'notes.md', null, 2),
      node('c', 'child', 'b', 3),
    ]);
    expect(paths.get('a')).toBe('notes.md');
    expect(paths.get('b')).toBe('notes.md (2).md');
    expect(paths.get('c')).toBe('notes.md (2)/child.md');
  });

  it('places orphans and pages in a parent cycle at the root rather than hiding them', () => {
    const paths = layoutPages([node('a', 'Orphan', 'missing'), node('b', 'Loop1', 'c'), node('c', 'Loop2', 'b')]);
    expect(paths.get('a')).toBe('Orphan.md');
    expect(paths.get('b')).toBe('Loop1.md');
    expect(paths.get('c')).toBe('Loop2.md');
  });

  it('reserves both file and directory names when choosing a suffix', () => {
    const taken = new Set<string>();
    expect(uniqueStem('a', taken)).toBe('a');
    expect(uniqueStem('A', taken)).toBe('A (2)');
    expect(uniqueStem('a.md', taken)).toBe('a.md (2)');
  });

  it('manages markdown files outside dot-directories only', () => {
    expect(isManagedPath('Guide.md')).toBe(true);
    expect(isManagedPath('Guide/Install.md')).toBe(true);
    expect(isManagedPath('notes.txt')).toBe(false);
    expect(isManagedPath('.obsidian/app.md')).toBe(false);
    expect(isManagedPath('a/.hidden.md')).toBe(false);
    expect(isManagedPath('README.MD')).toBe(false);
  });

  it('splits paths into stem and directory', () => {
    expect(stemOf('a/b/Title.md')).toBe('Title');
    expect(dirOf('a/b/Title.md')).toBe('a/b');
    expect(dirOf('Title.md')).toBe('');
  });
});
