import { PassThrough } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { LockWaitNotice } from '../../../src/git-http/lock-wait-notice';
import { errorPacket, isSidebandResponse, progressPacket, requestWantsSideband } from '../../../src/git-http/side-band';
import { waitFor } from '../../../../../packages/space-lock/test/helpers/wait-for';

const OLD = '0'.repeat(40);
const NEW = '1'.repeat(40);

function command(caps: string): Buffer {
  const line = `${OLD} ${NEW} refs/heads/main\0${caps}\n`;
  return Buffer.from(`${(line.length + 4).toString(16).padStart(4, '0')}${line}`, 'latin1');
}

/** A response that records what is written to it. */
function recorder() {
  const written: Buffer[] = [];
  const res = {
    headersSent: false,
    writableEnded: false,
    destroyed: false,
    status: 0,
    writeHead(status: number) {
      this.status = status;
      this.headersSent = true;
      return this;
    },
    write(chunk: Buffer) {
      written.push(chunk);
      return true;
    },
    end(chunk?: Buffer) {
      if (chunk) written.push(chunk);
      this.writableEnded = true;
      return this;
    },
  };
  return { res, written, text: () => Buffer.concat(written).toString('latin1') };
}

describe('side-band', () => {
  it('frames progress and error lines as pkt-lines on bands 2 and 3', () => {
    expect(progressPacket('hello').toString('latin1')).toBe('000b\x02hello\n');
    expect(errorPacket('busy').toString('latin1')).toBe('000a\x03busy\n');
  });

  it('reads whether a push asked for side-band from its first command', () => {
    expect(requestWantsSideband(command('report-status side-band-64k agent=git/2.39'))).toBe(true);
    expect(requestWantsSideband(command('report-status agent=git/2.39'))).toBe(false);
    expect(requestWantsSideband(command('side-band-64k').subarray(0, 20))).toBeUndefined();
    expect(requestWantsSideband(Buffer.from('0000'))).toBe(false);
  });

  it('tells a multiplexed answer from a plain one', () => {
    expect(isSidebandResponse(Buffer.from('0030\x01000eunpack ok\n', 'latin1'))).toBe(true);
    expect(isSidebandResponse(Buffer.from('000eunpack ok\n', 'latin1'))).toBe(false);
  });
});

describe('lock wait notice', () => {
  it('starts the response with a progress line for a side-band push, and can end it with an error band; the body stays whole', async () => {
    const body = new PassThrough();
    const first = command('report-status side-band-64k');
    body.write(first);
    const { res, text } = recorder();
    let hijacked = 0;
    const notice = new LockWaitNotice(body, undefined, res as unknown as ServerResponse, 20, () => hijacked++);
    await waitFor('the notice to be sent', () => notice.sent);
    expect(hijacked).toBe(1);
    expect(res.status).toBe(200);
    // eslint-disable-next-line no-control-regex -- \x02 is git's side-band progress channel
    expect(text()).toMatch(/^[0-9a-f]{4}\x02git-sync: this space is busy/);
    notice.fail('This space is busy.');
    // eslint-disable-next-line no-control-regex -- \x03 is git's side-band error channel
    expect(text()).toMatch(/\x03This space is busy\.\n0000$/);
    await notice.stop();
    expect(body.read()).toEqual(first);
  });

  it('stays silent for a client without side-band, and after stop', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const plain = new PassThrough();
      plain.write(command('report-status'));
      const a = recorder();
      const silent = new LockWaitNotice(plain, undefined, a.res as unknown as ServerResponse, 5, () => undefined);
      const stopped = new PassThrough();
      stopped.write(command('report-status side-band-64k'));
      const b = recorder();
      const early = new LockWaitNotice(stopped, undefined, b.res as unknown as ServerResponse, 5, () => undefined);
      await early.stop();
      // The bodies' stream events run on the event loop, which fake timers leave alone.
      await new Promise((resolve) => setImmediate(resolve));
      jest.advanceTimersByTime(10);
      expect(silent.sent || early.sent).toBe(false);
      expect(a.written.length + b.written.length).toBe(0);
      await silent.stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('survives a body that ends inside its first pkt-line', async () => {
    const body = new PassThrough();
    const { res } = recorder();
    const notice = new LockWaitNotice(body, undefined, res as unknown as ServerResponse, 1_000, () => undefined);
    body.end(command('report-status side-band-64k').subarray(0, 30));
    await notice.stop();
    expect(notice.sent).toBe(false);
  });
});
