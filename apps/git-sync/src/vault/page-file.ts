import { createHash } from 'node:crypto';
import { isUuid } from '../pages/uuid';

export interface ParsedPageFile {
  /** The id named in the front matter, lower-cased; null when there is none or it is not a uuid. */
  id: string | null;
  /** The page content: everything after the front matter, or the whole file when it has no id front matter. */
  body: string;
}

/** The only bytes a page can serialize to: an id-only front matter, then the content verbatim. */
export function serializePage(id: string, content: string): Buffer {
  return Buffer.from(`---\nid: ${id}\n---\n${content}`, 'utf8');
}

const FRONT_MATTER = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(?:\r?\n|$)/;
const ID_LINE = /^id:[ \t]*["']?([^"'\s]*)["']?[ \t]*$/m;

/**
 * Reads a page file. Only a front matter that carries an `id:` key is treated as ours and stripped;
 * any other leading `---` block belongs to the content, so a new file loses nothing.
 */
export function parsePageFile(bytes: Buffer | string): ParsedPageFile {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  const match = FRONT_MATTER.exec(text);
  if (match) {
    const idLine = ID_LINE.exec(match[1] ?? '');
    if (idLine) {
      const id = idLine[1].toLowerCase();
      return { id: isUuid(id) ? id : null, body: text.slice(match[0].length) };
    }
  }
  return { id: null, body: text };
}

/** The object id git gives these bytes as a blob, computed without a process per file. */
export function blobOid(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}
