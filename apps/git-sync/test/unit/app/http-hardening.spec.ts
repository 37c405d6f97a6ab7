import type { IncomingMessage } from 'node:http';
import { acceptsApiBody, clientAddressResolver, fastifyOptions, hostNameOf } from '../../../src/app/http-hardening';
import { loadConfig } from '../../../src/config';
import { REDACTED, scrubSecrets } from '../../../src/app/logger';

describe('hostNameOf', () => {
  it.each([
    ['127.0.0.1:3000', '127.0.0.1'],
    ['LocalHost', 'localhost'],
    ['[::1]:3000', '::1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['wiki.example.com.:443', 'wiki.example.com'],
    ['attacker.example:3000', 'attacker.example'],
  ])('%s is %s', (header, name) => {
    expect(hostNameOf(header)).toBe(name);
  });

  it('is undefined without a header', () => {
    expect(hostNameOf(undefined)).toBeUndefined();
    expect(hostNameOf('')).toBeUndefined();
  });
});

describe('acceptsApiBody', () => {
  it('lets reads through whatever they carry', () => {
    expect(acceptsApiBody('GET', { 'content-type': 'text/plain' })).toBe(true);
    expect(acceptsApiBody('OPTIONS', {})).toBe(true);
  });

  it('takes JSON, with or without parameters', () => {
    expect(acceptsApiBody('POST', { 'content-type': 'application/json' })).toBe(true);
    expect(acceptsApiBody('PATCH', { 'content-type': 'Application/JSON; charset=utf-8' })).toBe(true);
  });

  it('refuses what a cross-site form can send without a preflight', () => {
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
      'text/plain; a=application/json',
    ]) {
      expect(acceptsApiBody('POST', { 'content-type': type })).toBe(false);
    }
    expect(acceptsApiBody('PUT', { 'content-type': 'application/jsonp' })).toBe(false);
  });

  it('takes a mutating request without a body (a DELETE), not one with an untyped body', () => {
    expect(acceptsApiBody('DELETE', {})).toBe(true);
    expect(acceptsApiBody('DELETE', { 'content-length': '0' })).toBe(true);
    expect(acceptsApiBody('POST', { 'content-length': '12' })).toBe(false);
    expect(acceptsApiBody('POST', { 'transfer-encoding': 'chunked' })).toBe(false);
  });
});

describe('scrubSecrets', () => {
  const token = 'gst_AbC-123_xyz';
  it.each([
    [`{"msg":"GET /api/x?token=${token}"}`, `{"msg":"GET /api/x?token=gst_${REDACTED}"}`],
    ['authorization: Basic ZGVtbzpnc3RfeHl6', `authorization: Basic ${REDACTED}`],
    ['"Bearer abc.def-ghi"', `"Bearer ${REDACTED}"`],
    ['redis://user:s3cret@host:6379/0', `redis://user:${REDACTED}@host:6379/0`],
    [`http://demo:${token}@127.0.0.1:3000/git/x.git`, `http://demo:${REDACTED}@127.0.0.1:3000/git/x.git`],
  ])('%s', (line, scrubbed) => {
    expect(scrubSecrets(line)).toBe(scrubbed);
  });

  it('leaves lines without secrets alone', () => {
    const line = '{"level":30,"msg":"git request served","url":"http://127.0.0.1:3000/git/a.git","user":"demo"}';
    expect(scrubSecrets(line)).toBe(line);
  });
});

describe('clientAddressResolver', () => {
  const request = (peer: string, forwardedFor?: string) =>
    ({
      socket: { remoteAddress: peer },
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    }) as unknown as IncomingMessage;
  const resolverFor = (trust?: string) =>
    clientAddressResolver(loadConfig(trust === undefined ? {} : { GIT_SYNC_TRUST_PROXY: trust }));

  it('ignores X-Forwarded-For unless a proxy is trusted', () => {
    expect(resolverFor()(request('10.0.0.2', '203.0.113.9'))).toBe('10.0.0.2');
    expect(fastifyOptions(loadConfig({}))).toEqual({});
  });

  it('with a hop count, believes that many proxies', () => {
    const resolve = resolverFor('1');
    expect(resolve(request('10.0.0.2', '198.51.100.1, 203.0.113.9'))).toBe('203.0.113.9');
    expect(fastifyOptions(loadConfig({ GIT_SYNC_TRUST_PROXY: '1' }))).toEqual({ trustProxy: 1 });
  });

  it('with addresses, believes only those peers, and stops at the first untrusted hop', () => {
    const resolve = resolverFor('10.0.0.0/8');
    expect(resolve(request('10.0.0.2', '198.51.100.1, 203.0.113.9'))).toBe('203.0.113.9');
    expect(resolve(request('10.0.0.2', '198.51.100.1, 10.0.0.7'))).toBe('198.51.100.1');
    expect(resolve(request('192.0.2.5', '203.0.113.9'))).toBe('192.0.2.5');
  });
});
