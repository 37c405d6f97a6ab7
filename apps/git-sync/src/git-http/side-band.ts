/**
 * The pieces of git's pkt-line side-band protocol the server writes itself: progress lines (band 2),
 * which git prints as `remote: <line>`, and a fatal error (band 3), which ends the push.
 */

export const FLUSH_PKT = Buffer.from('0000');
/** A pkt-line length (4 hex digits) and the band byte that follows it. */
export const SIDEBAND_PROBE_BYTES = 5;
const PROGRESS_BAND = 2;
const ERROR_BAND = 3;
/** Largest pkt-line payload git accepts on side-band-64k, less the band byte. */
const MAX_BAND_PAYLOAD = 65_515;

/** Whether a receive-pack response is multiplexed: its first packet's payload starts with band 1. */
export function isSidebandResponse(start: Buffer): boolean {
  return (
    start.length >= SIDEBAND_PROBE_BYTES &&
    /^[0-9a-f]{4}$/.test(start.subarray(0, 4).toString('latin1')) &&
    start[4] === 1
  );
}

/**
 * Whether a receive-pack request asks for side-band: its first pkt-line is the first command, with
 * the capabilities after a NUL. Undefined when the bytes do not hold that whole line.
 */
export function requestWantsSideband(start: Buffer): boolean | undefined {
  if (start.length < 4) return undefined;
  const length = Number.parseInt(start.subarray(0, 4).toString('latin1'), 16);
  if (!Number.isInteger(length) || length < 4) return false;
  if (start.length < length) return undefined;
  const line = start.subarray(4, length);
  const nul = line.indexOf(0);
  if (nul < 0) return false;
  return line
    .subarray(nul + 1)
    .toString('latin1')
    .trim()
    .split(' ')
    .some((cap) => cap === 'side-band-64k' || cap === 'side-band');
}

function bandPacket(band: number, text: string): Buffer {
  const payload = Buffer.from(`${text}\n`, 'utf8').subarray(0, MAX_BAND_PAYLOAD);
  const length = (payload.length + SIDEBAND_PROBE_BYTES).toString(16).padStart(4, '0');
  return Buffer.concat([Buffer.from(length, 'latin1'), Buffer.from([band]), payload]);
}

/** One progress packet, which git shows as `remote: <line>`. */
export function progressPacket(line: string): Buffer {
  return bandPacket(PROGRESS_BAND, line);
}

/** A fatal error packet: git shows `remote error: <line>` and fails the push. */
export function errorPacket(line: string): Buffer {
  return bandPacket(ERROR_BAND, line);
}
