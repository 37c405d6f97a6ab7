import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { DataDirUnusableError } from './data-dir-unusable.error';

/**
 * Fails with `DataDirUnusableError` unless this process may list, read and
 * write `dataDir`; with `create`, makes it (and its parents) first.
 */
export async function assertDataDirUsable(dataDir: string, options: { create?: boolean } = {}): Promise<void> {
  try {
    if (options.create) await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new DataDirUnusableError(dataDir, (error as NodeJS.ErrnoException).code ?? 'not accessible', error);
  }
}
