/** Which spaces have opted in to git-sync (`settings.gitSync.enabled`). */
export interface SpaceDirectory {
  isGitSyncEnabled(spaceId: string): Promise<boolean>;
  /** Only opted-in spaces: the poll loop never falls back to every space. */
  listGitSyncEnabledSpaceIds(): Promise<string[]>;
}

export const SPACE_DIRECTORY = Symbol('SPACE_DIRECTORY');
