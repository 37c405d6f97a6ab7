import { collisionKey, decodeStem, encodeTitle, isLossless, MAX_STEM_BYTES } from '../../src/vault/filename-codec';

describe('filename codec', () => {
  it.each([
    ['a/b', 'a%2Fb'],
    ['back\\slash', 'back%5Cslash'],
    ['with:colon?*<>|"', 'with%3Acolon%3F%2A%3C%3E%7C%22'],
    ['tab\there', 'tab%09here'],
    ['.hidden', '%2Ehidden'],
    ['..', '%2E%2E'],
    [' lead', '%20lead'],
    ['trail. ', 'trail%2E%20'],
    ['CON', '%43ON'],
    ['nul.txt', '%6Eul.txt'],
    ['Console', 'Console'],
    ['', '%00'],
    ['100%', '100%'],
    ['%41', '%2541'],
    ['naïve 日本語 🚀', 'naïve 日本語 🚀'],
  ])('encodes %j as %j and decodes it back', (title, stem) => {
    expect(encodeTitle(title)).toBe(stem);
    expect(decodeStem(stem)).toBe(title);
  });

  it('reads hand-written names literally except for escapes', () => {
    expect(decodeStem('50% off')).toBe('50% off');
    expect(decodeStem('a%3Ab')).toBe('a:b');
    expect(decodeStem('%e9')).toBe('%e9');
  });

  it('truncates long titles within the byte budget without splitting characters or escapes', () => {
    const long = '🚀'.repeat(100);
    const stem = encodeTitle(long);
    expect(Buffer.byteLength(stem)).toBeLessThanOrEqual(MAX_STEM_BYTES);
    expect(stem).toBe('🚀'.repeat(MAX_STEM_BYTES / 4));
    expect(isLossless(long)).toBe(false);
    expect(isLossless('x'.repeat(MAX_STEM_BYTES))).toBe(true);

    const slashes = '/'.repeat(100);
    expect(encodeTitle(slashes)).toMatch(/^(%2F)+$/);
    expect(encodeTitle('a'.repeat(MAX_STEM_BYTES - 1) + ' ')).toBe('a'.repeat(MAX_STEM_BYTES - 1) + '%20');
  });

  it('never ends a truncated name with a dot or space', () => {
    const stem = encodeTitle('x'.repeat(MAX_STEM_BYTES - 1) + '.' + 'y'.repeat(50));
    expect(stem.endsWith('%2E')).toBe(true);
  });

  it('compares names the way case- and normalization-insensitive file systems do', () => {
    expect(collisionKey('Case')).toBe(collisionKey('CASE'));
    expect(collisionKey('e\u0301')).toBe(collisionKey('\u00e9'));
    expect(collisionKey('a')).not.toBe(collisionKey('b'));
  });
});
