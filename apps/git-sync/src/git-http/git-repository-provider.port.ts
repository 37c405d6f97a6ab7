/** How the git host is about to use the repository. */
export interface RepositoryAccess {
  /**
   * True when the caller holds the space's lock (pushes). A provider may then
   * write to the repository; otherwise (clones, fetches) it must not write
   * outside the lock, and may take the lock itself to create the repository.
   */
  readonly underLock: boolean;
}

/** Where a space's git repository lives; the engine owns its creation. */
export interface GitRepositoryProvider {
  /**
   * Creates the space's repository if it does not exist yet, and returns its
   * absolute path (the working tree of a non-bare repository, or a bare one).
   * Must be idempotent: it is called on every git request.
   */
  ensureRepository(spaceId: string, context?: RepositoryAccess): Promise<string>;
}

export const GIT_REPOSITORY_PROVIDER = Symbol('GIT_REPOSITORY_PROVIDER');
