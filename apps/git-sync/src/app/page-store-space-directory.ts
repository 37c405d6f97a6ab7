import type { PageStore } from '../pages/page-store';
import type { SpaceDirectory } from '../orchestrator/space-directory.port';
import { isUuid } from '../pages/uuid';

/** The orchestrator's view of which spaces opted in to git-sync. */
export class PageStoreSpaceDirectory implements SpaceDirectory {
  constructor(private readonly pages: PageStore) {}

  async isGitSyncEnabled(spaceId: string): Promise<boolean> {
    // A malformed id names no space; the store would throw a typed error for it.
    if (!isUuid(spaceId)) return false;
    return (await this.pages.getSpace(spaceId))?.gitSyncEnabled === true;
  }

  async listGitSyncEnabledSpaceIds(): Promise<string[]> {
    return (await this.pages.listSpaces({ gitSyncEnabled: true })).map((space) => space.id);
  }
}
