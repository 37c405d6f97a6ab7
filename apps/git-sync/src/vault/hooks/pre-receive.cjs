'use strict';
/*
 * git-sync's pre-receive hook for a space's vault. git runs it once per push, after the pack is
 * received into quarantine and before any ref moves. A non-zero exit refuses the whole push and
 * drops its objects, so a refused push changes nothing. What it writes to stderr reaches the client
 * as `remote:` lines: one per refused ref or path, each with its reason and what to do.
 *
 * stdin: one "<old-oid> <new-oid> <refname>" line per ref the push updates.
 * env:   GIT_SYNC_MAX_FILE_BYTES  largest file a push may carry (default 5 MiB)
 *        GIT_SYNC_MAX_PUSH_FILES  most files one push may add (default 2000)
 * exit:  0 accepts the push, 1 refuses it.
 *
 * Plain CommonJS with no dependencies: it runs in git's process tree, outside the server.
 */
const { execFileSync } = require('node:child_process');

const MAIN = 'refs/heads/main';
const ZERO = /^0+$/;
const maxFileBytes = limit(process.env.GIT_SYNC_MAX_FILE_BYTES, 5 * 1024 * 1024);
const maxPushFiles = limit(process.env.GIT_SYNC_MAX_PUSH_FILES, 2000);
// Bounds what one `cat-file --batch` call returns, whatever the push holds.
const READ_CHUNK_BYTES = 64 * 1024 * 1024;

function limit(value, fallback) {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

function git(args, input) {
  return execFileSync('git', args, {
    input,
    maxBuffer: 2 * READ_CHUNK_BYTES + 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** The paths the sync engine reads as pages: `.md` files outside any dot-directory. */
function isPagePath(path) {
  return path.endsWith('.md') && path.split('/').every((s) => s.length > 0 && !s.startsWith('.'));
}

function isAncestor(older, newer) {
  try {
    git(['merge-base', '--is-ancestor', older, newer]);
    return true;
  } catch {
    return false;
  }
}

/** `diff-tree -r -z` records: { mode, oid, status, path } for the new side. */
function changedFiles(from, to) {
  const parts = git(['diff-tree', '-r', '-z', '--no-renames', from, to]).toString('utf8').split('\0');
  const out = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (!parts[i].startsWith(':')) break;
    const [, newMode, , newOid, status] = parts[i].slice(1).split(' ');
    out.push({ mode: newMode, oid: newOid, status: status[0], path: parts[i + 1] });
  }
  return out;
}

/** Every blob the push brings that `old` did not have, with one path it was found at and its size. */
function newBlobs(oldOid, newOid) {
  const args = ['rev-list', '--objects', newOid];
  if (!ZERO.test(oldOid)) args.push('--not', oldOid);
  const paths = new Map();
  for (const line of git(args).toString('utf8').split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0 && !paths.has(line.slice(0, space))) paths.set(line.slice(0, space), line.slice(space + 1));
  }
  if (paths.size === 0) return [];
  const checked = git(
    ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'],
    [...paths.keys()].join('\n') + '\n',
  );
  return checked
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .filter(([, type]) => type === 'blob')
    .map(([oid, , size]) => ({ oid, size: Number(size), path: paths.get(oid) }));
}

function readBlobs(oids) {
  const out = new Map();
  if (oids.length === 0) return out;
  const data = git(['cat-file', '--batch'], oids.join('\n') + '\n');
  let pos = 0;
  for (const oid of oids) {
    const nl = data.indexOf(0x0a, pos);
    const size = Number(data.subarray(pos, nl).toString('utf8').split(' ')[2]);
    out.set(oid, data.subarray(nl + 1, nl + 1 + size));
    pos = nl + 1 + size + 1;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function textProblem(bytes) {
  if (bytes.includes(0)) return 'holds a NUL byte; a page must be text';
  try {
    utf8.decode(bytes);
  } catch {
    return 'is not valid UTF-8; save it as UTF-8 and push again';
  }
  return undefined;
}

function checkContent(oldOid, newOid, refuse) {
  const sizes = new Map();
  for (const blob of newBlobs(oldOid, newOid)) {
    sizes.set(blob.oid, blob.size);
    if (blob.size > maxFileBytes)
      refuse(blob.path, `is ${blob.size} bytes, over the limit of ${maxFileBytes} (GIT_SYNC_MAX_FILE_BYTES)`);
  }
  const files = ZERO.test(oldOid) ? [] : changedFiles(oldOid, newOid);
  const added = files.filter((f) => f.status === 'A').length;
  if (added > maxPushFiles)
    refuse(
      null,
      `this push adds ${added} files, over the limit of ${maxPushFiles} (GIT_SYNC_MAX_PUSH_FILES); push them in smaller batches`,
    );

  const toRead = [];
  for (const f of files) {
    if (f.status === 'D' || !isPagePath(f.path)) continue;
    if (f.mode === '120000') refuse(f.path, 'is a symbolic link; a page must be a regular file');
    else if (f.mode === '160000') refuse(f.path, 'is a submodule; a page must be a regular file');
    else if ((sizes.get(f.oid) ?? 0) <= maxFileBytes) toRead.push(f);
  }
  for (let i = 0; i < toRead.length;) {
    const chunk = [];
    let bytes = 0;
    while (i < toRead.length && (chunk.length === 0 || bytes + (sizes.get(toRead[i].oid) ?? 0) <= READ_CHUNK_BYTES)) {
      bytes += sizes.get(toRead[i].oid) ?? 0;
      chunk.push(toRead[i++]);
    }
    const blobs = readBlobs([...new Set(chunk.map((f) => f.oid))]);
    for (const f of chunk) {
      const problem = textProblem(blobs.get(f.oid));
      if (problem) refuse(f.path, problem);
    }
  }
}

function main() {
  const updates = require('node:fs')
    .readFileSync(0, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [oldOid, newOid, ref] = line.split(' ');
      return { oldOid, newOid, ref };
    });
  const lines = [];
  const refuse = (subject, reason) => lines.push(subject === null ? reason : `${subject}: ${reason}`);
  for (const { oldOid, newOid, ref } of updates) {
    if (ref !== MAIN) {
      refuse(
        ref,
        'only main is synced with the wiki, so other branches and tags are refused; push to main instead (git push origin HEAD:main)',
      );
    } else if (ZERO.test(newOid)) {
      refuse(ref, 'main cannot be deleted');
    } else if (!ZERO.test(oldOid) && !isAncestor(oldOid, newOid)) {
      refuse(
        ref,
        'main cannot be rewritten: this push does not build on the current main (a force-push, a rewind or an unrelated history). ' +
          'To recover, run `git fetch origin && git rebase origin/main` (or merge origin/main) and push again; ' +
          'to take something out, commit its removal (git revert) instead of rewriting history',
      );
    } else {
      checkContent(oldOid, newOid, refuse);
    }
  }
  if (lines.length === 0) return 0;
  process.stderr.write(
    `git-sync: push refused; nothing was changed:\n${lines.map((l) => `git-sync:   ${l}\n`).join('')}`,
  );
  return 1;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(
    `git-sync: push refused: the push could not be checked (${error && error.message ? error.message.split('\n')[0] : error})\n`,
  );
  process.exitCode = 1;
}
