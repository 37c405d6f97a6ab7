/**
 * Page titles ⇄ file-name stems that are safe on Linux, macOS and Windows.
 *
 * Characters that a common file system rejects or treats specially are percent-encoded, so the
 * mapping reverses exactly (`decodeStem(encodeTitle(t)) === t`) unless the title had to be
 * truncated to fit a file-name length limit.
 */

/** Rejected by Windows (and `/` everywhere); control characters also break terminals and some tools. */
// eslint-disable-next-line no-control-regex -- control characters are what this pattern exists to find.
const FORBIDDEN = /[<>:"/\\|?*\u0000-\u001f\u007f]/;
/** Windows refuses these device names as a file or directory name, with or without an extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\s*|\s*\..*)$/i;
/** A title of PostgreSQL text can never contain NUL, so this stem is free to stand for the empty title. */
export const EMPTY_TITLE_STEM = '%00';
/**
 * Leaves room under the common 255-byte (or 255 UTF-16 unit) name limit for `.md` and a collision suffix.
 * Byte length of UTF-8 is never below the UTF-16 length, so one bound covers both.
 */
export const MAX_STEM_BYTES = 200;

function escapeChar(ch: string): string {
  return `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Splits a title into encoded tokens: one per code point, so truncation never cuts an escape or a surrogate pair. */
function encodeTokens(title: string): string[] {
  const chars = Array.from(title);
  return chars.map((ch, i) => {
    if (FORBIDDEN.test(ch)) return escapeChar(ch);
    // `%` is escaped only where it would otherwise read as an escape; a lone `%` stays readable.
    if (ch === '%' && /^[0-9A-F]{2}/.test(chars.slice(i + 1, i + 3).join(''))) return '%25';
    return ch;
  });
}

export function encodeTitle(title: string): string {
  if (title === '') return EMPTY_TITLE_STEM;
  const tokens = encodeTokens(title);
  // A leading dot would hide the file (dot-paths are not pages); a leading space is easy to lose in tools.
  if (tokens[0] === '.' || tokens[0] === ' ') tokens[0] = escapeChar(tokens[0]);

  let bytes = 0;
  let end = 0;
  for (; end < tokens.length; end++) {
    const size = Buffer.byteLength(tokens[end], 'utf8');
    if (bytes + size > MAX_STEM_BYTES) break;
    bytes += size;
  }
  const kept = tokens.slice(0, end);
  // Windows strips trailing dots and spaces, which would merge distinct names.
  for (let i = kept.length - 1; i >= 0 && (kept[i] === '.' || kept[i] === ' '); i--) kept[i] = escapeChar(kept[i]);

  let stem = kept.join('');
  if (RESERVED.test(stem)) stem = escapeChar(stem[0]) + stem.slice(1);
  return stem;
}

/** Inverse of {@link encodeTitle}. Text that is not an escape is taken literally, so hand-named files read naturally. */
export function decodeStem(stem: string): string {
  if (stem === EMPTY_TITLE_STEM) return '';
  return stem.replace(/%([0-7][0-9A-F])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** True when the stem holds the whole title, i.e. decoding gives the title back. */
export function isLossless(title: string): boolean {
  return decodeStem(encodeTitle(title)) === title;
}

/** How names compare on case-insensitive, normalization-insensitive file systems (macOS, Windows). */
export function collisionKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}
