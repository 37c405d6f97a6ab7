/** Where a space's git repository lives; the engine owns its creation. */
export interface GitRepositoryProvider {
  /**
   * Creates the space's repository if it does not exist yet, and returns its
   * absolute path (the working tree of a non-bare repository, or a bare one).
   * Must be idempotent: it is called on every git request.
   */
  ensureRepository(spaceId: string): Promise<string>;
}

export const GIT_REPOSITORY_PROVIDER = Symbol('GIT_REPOSITORY_PROVIDER');
