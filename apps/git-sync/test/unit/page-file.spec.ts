import { execFileSync } from 'node:child_process';
import { blobOid, parsePageFile, serializePage } from '../../src/vault/page-file';

const ID = '0b9f5c2e-8a51-4c43-9d7e-3f1b2a6c4d5e';

describe('page file', () => {
  it('serializes to an id-only front matter followed by the content verbatim, byte for byte', () => {
    const bytes = serializePage(ID, '# Title\n\nbody');
    expect(bytes.toString('utf8')).toBe(`---\nid: ${ID}\n---\n# Title\n\nbody`);
    expect(serializePage(ID, '# Title\n\nbody').equals(bytes)).toBe(true);
  });

  it('parses what it serializes, for any content', () => {
    for (const content of ['', 'plain', '---\nnot: ours\n---\nbody', '\r\nwindows\r\n', '🚀\n']) {
      expect(parsePageFile(serializePage(ID, content))).toEqual({ id: ID, body: content });
    }
  });

  it('keeps a front matter without an id as content, so a new file loses nothing', () => {
    const text = '---\ntitle: Mine\n---\nbody\n';
    expect(parsePageFile(text)).toEqual({ id: null, body: text });
    expect(parsePageFile('no front matter')).toEqual({ id: null, body: 'no front matter' });
  });

  it('accepts hand-edited front matter: CRLF, quotes, upper case and extra keys', () => {
    expect(parsePageFile(`---\r\nid: "${ID.toUpperCase()}"\r\ntags: x\r\n---\r\nbody`)).toEqual({
      id: ID,
      body: 'body',
    });
  });

  it('treats a malformed id as none but still strips the id block', () => {
    expect(parsePageFile('---\nid: 42\n---\nbody')).toEqual({ id: null, body: 'body' });
  });

  it('computes the same blob id as git', () => {
    const bytes = serializePage(ID, 'héllo\n');
    const expected = execFileSync('git', ['hash-object', '--stdin'], { input: bytes }).toString().trim();
    expect(blobOid(bytes)).toBe(expected);
  });
});
