import { RequestValidationError } from './request-validation.error';

/** A page's ETag: its revision, which every write bumps. Strong, since equal revisions mean equal pages. */
export function pageEtag(revision: number): string {
  return `"${revision}"`;
}

const ENTITY_TAG = /^(W\/)?"(\d{1,10})"$/;

/**
 * The revision an `If-Match` header demands, or undefined when there is none or it is `*` (any
 * existing page). A list of tags names several acceptable revisions; only one can be current, so the
 * first is used. Weak tags are refused: If-Match compares strongly.
 */
export function expectedRevision(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const tags = ifMatch.split(',').map((t) => t.trim());
  const revisions = tags
    .map((t) => ENTITY_TAG.exec(t))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === undefined);
  if (revisions.length !== tags.length || revisions.length === 0) {
    throw new RequestValidationError([{ field: 'If-Match', message: 'must be an ETag from GET, such as "3"' }]);
  }
  return Number(revisions[0][2]);
}
