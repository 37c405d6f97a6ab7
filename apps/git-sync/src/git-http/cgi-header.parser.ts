import type { OutgoingHttpHeaders } from 'node:http';
import type { CgiResponseHead } from './cgi-response';

// CGI headers are small; a backend that sends more without ending them is broken.
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Reads the header block a CGI program writes before its body, fed chunk by
 * chunk as stdout delivers it, and keeps whatever body bytes came along.
 */
export class CgiHeaderParser {
  #buffered: Buffer = Buffer.alloc(0);
  #head: CgiResponseHead | undefined;

  /**
   * Feeds stdout bytes. Returns the head and the body bytes that followed it
   * once the blank line ending the headers has been seen, else undefined.
   *
   * @throws Error when the headers exceed 64 KiB or a line is malformed.
   */
  push(chunk: Buffer): { head: CgiResponseHead; body: Buffer } | undefined {
    if (this.#head !== undefined) throw new Error('CGI headers already parsed');
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const end = findHeaderEnd(this.#buffered);
    if (end === undefined) {
      if (this.#buffered.length > MAX_HEADER_BYTES) throw new Error('CGI header block too large');
      return undefined;
    }
    this.#head = parseHead(this.#buffered.subarray(0, end.at).toString('latin1'));
    const body = this.#buffered.subarray(end.at + end.length);
    this.#buffered = Buffer.alloc(0);
    return { head: this.#head, body };
  }

  get head(): CgiResponseHead | undefined {
    return this.#head;
  }
}

function findHeaderEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return undefined;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { at: crlf, length: 4 };
  return { at: lf, length: 2 };
}

function parseHead(block: string): CgiResponseHead {
  let status = 200;
  let statusMessage: string | undefined;
  const headers: OutgoingHttpHeaders = {};
  for (const line of block.split(/\r?\n/)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed CGI header line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') {
      const m = /^(\d{3})(?:\s+(.*))?$/.exec(value);
      if (m === null) throw new Error(`malformed CGI Status: ${JSON.stringify(value.slice(0, 80))}`);
      status = Number(m[1]);
      statusMessage = m[2] || undefined;
      continue;
    }
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else headers[name] = [...(Array.isArray(previous) ? previous : [String(previous)]), value];
  }
  return { status, statusMessage, headers };
}
