import { z } from 'zod';

// What the API answers, for the OpenAPI document. Handlers are typed by the
// stores' own interfaces; these describe the same JSON, dates as strings.

const id = z.string().uuid();
const timestamp = z.string().datetime();

export const errorResponse = z.object({
  statusCode: z.number().int(),
  error: z.string(),
  message: z.string(),
  /** Present on a 400: one entry per offending field. */
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

export const spaceResponse = z.object({
  id,
  name: z.string(),
  settings: z.object({ gitSync: z.object({ enabled: z.boolean().optional() }).optional() }).passthrough(),
  gitSyncEnabled: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const pageNodeResponse = z.object({
  id,
  parentPageId: id.nullable(),
  title: z.string(),
  position: z.number().int(),
  revision: z.number().int(),
  createdAt: timestamp,
});

export const pageResponse = pageNodeResponse.extend({
  spaceId: id,
  content: z.string(),
  updatedAt: timestamp,
  deletedAt: timestamp.nullable(),
  lastUpdatedSource: z.enum(['user', 'git-sync']),
});

export const userResponse = z.object({ id, username: z.string(), admin: z.boolean(), createdAt: timestamp });

export const issuedTokenResponse = z.object({
  id,
  name: z.string(),
  /** Shown this once: only its hash is stored. */
  token: z.string(),
  expiresAt: timestamp.optional(),
});

export const accessTokenInfoResponse = z.object({
  id,
  name: z.string(),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  expiresAt: timestamp.nullable(),
});

export const membershipResponse = z.object({
  spaceId: id,
  userId: id,
  username: z.string(),
  role: z.enum(['read', 'write']),
});

export const conflictResponse = z.object({
  id,
  spaceId: id,
  pageId: id.nullable(),
  path: z.string(),
  base: z.string().nullable(),
  wiki: z.string().nullable(),
  git: z.string().nullable(),
  createdAt: timestamp,
  dismissedAt: timestamp.nullable(),
});

const count = z.number().int();

export const runOnceResultResponse = z.object({
  spaceId: id,
  ran: z.boolean(),
  skipped: z.enum(['disabled', 'space-not-enabled', 'in-progress', 'lock-held', 'yielded']).optional(),
  pull: z.object({ written: count, deleted: count, conflicts: count }).optional(),
  push: z
    .object({
      created: count,
      updated: count,
      deleted: count,
      moved: count,
      renamed: count,
      failures: count,
      deferred: count,
      heldBack: count,
    })
    .optional(),
  error: z.string().optional(),
});

export const gitSyncStatusResponse = z.object({
  config: z.object({
    enabled: z.boolean(),
    pollIntervalMs: count,
    debounceMs: count,
    backendTimeoutMs: count,
    pushLockWaitMs: count,
  }),
  spaces: z.array(
    z.object({
      trigger: z.enum(['manual', 'poll', 'debounce', 'push', 'create']),
      at: timestamp,
      result: runOnceResultResponse,
      openConflicts: count,
    }),
  ),
  workTreeOverlaps: count,
});
