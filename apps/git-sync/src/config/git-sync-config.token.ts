/** Injection token of the validated `GitSyncConfig`. */
export const GIT_SYNC_CONFIG = Symbol('GIT_SYNC_CONFIG');
