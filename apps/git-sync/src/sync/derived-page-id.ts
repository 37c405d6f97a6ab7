import { createHash } from 'node:crypto';

/**
 * The id of a page created from a file: derived from where it was found, so a cycle that dies after
 * creating the page but before writing the id back into the file creates the same page again, which
 * is then recognised, instead of a duplicate. Shaped as a version-5 style uuid.
 */
export function derivedPageId(spaceId: string, basis: string, path: string, blobOid: string): string {
  const bytes = createHash('sha1')
    .update(`git-sync\0${spaceId}\0${basis}\0${path}\0${blobOid}`)
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
