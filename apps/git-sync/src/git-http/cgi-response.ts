import type { OutgoingHttpHeaders } from 'node:http';

export interface CgiResponseHead {
  readonly status: number;
  readonly statusMessage: string | undefined;
  readonly headers: OutgoingHttpHeaders;
}
