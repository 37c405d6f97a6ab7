import {
  generateAccessToken,
  hashAccessToken,
  parseBasicAuthorization,
  parseBearerAuthorization,
} from '../../../src/accounts';

const basic = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;

describe('parseBasicAuthorization', () => {
  it('splits at the first colon, so passwords may contain colons', () => {
    expect(parseBasicAuthorization(basic('ada:gst_a:b'))).toEqual({ username: 'ada', password: 'gst_a:b' });
  });

  it('accepts any case of the scheme and UTF-8 credentials', () => {
    expect(parseBasicAuthorization(`basic ${Buffer.from('zoë:pw').toString('base64')}`)).toEqual({
      username: 'zoë',
      password: 'pw',
    });
  });

  it.each([[undefined], [''], ['Bearer abc'], [basic('no-colon')], [basic(':empty-user')], ['Basic !!!']])(
    'returns undefined for %p',
    (header) => {
      expect(parseBasicAuthorization(header)).toBeUndefined();
    },
  );
});

describe('access tokens', () => {
  it('are prefixed, 256-bit random, and never equal', () => {
    const a = generateAccessToken();
    const b = generateAccessToken();
    expect(a).toMatch(/^gst_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  it('hash to a stable SHA-256 hex digest', () => {
    expect(hashAccessToken('gst_x')).toBe(hashAccessToken('gst_x'));
    expect(hashAccessToken('gst_x')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashAccessToken('gst_x')).not.toBe(hashAccessToken('gst_y'));
  });
});

describe('parseBearerAuthorization', () => {
  it('takes the token of a Bearer header, in any case of the scheme', () => {
    expect(parseBearerAuthorization('Bearer gst_abc-DEF_123')).toBe('gst_abc-DEF_123');
    expect(parseBearerAuthorization('bearer  gst_x')).toBe('gst_x');
  });

  it('is undefined when absent, of another scheme, or malformed', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic ZGVtbzp4', 'Bearer a b', 'Bearer gst_x\u0000']) {
      expect(parseBearerAuthorization(header)).toBeUndefined();
    }
  });
});
