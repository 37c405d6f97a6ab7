import { CgiHeaderParser } from '../../../src/git-http/cgi-header.parser';

describe('CgiHeaderParser', () => {
  it('parses headers split across chunks and keeps the body bytes that followed', () => {
    const parser = new CgiHeaderParser();
    expect(parser.push(Buffer.from('Status: 404 Not Found\r\nContent-Type: text/pl'))).toBeUndefined();
    const out = parser.push(Buffer.from('ain\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\nNot Found'));
    expect(out?.head).toEqual({
      status: 404,
      statusMessage: 'Not Found',
      headers: { 'content-type': 'text/plain', 'set-cookie': ['a', 'b'] },
    });
    expect(out?.body.toString()).toBe('Not Found');
  });

  it('defaults to 200 and accepts bare LF line endings', () => {
    const out = new CgiHeaderParser().push(
      Buffer.from('Content-Type: application/x-git-upload-pack-advertisement\n\n001e#'),
    );
    expect(out?.head).toMatchObject({ status: 200, statusMessage: undefined });
    expect(out?.body.toString()).toBe('001e#');
  });

  it('rejects malformed or endless header blocks', () => {
    expect(() => new CgiHeaderParser().push(Buffer.from('no colon here\r\n\r\n'))).toThrow('malformed CGI header');
    expect(() => new CgiHeaderParser().push(Buffer.from('Status: abc\r\n\r\n'))).toThrow('malformed CGI Status');
    expect(() => new CgiHeaderParser().push(Buffer.alloc(70 * 1024, 'a'))).toThrow('too large');
  });
});
