export { SpaceLockModule } from './space-lock.module';
export { SpaceLockService } from './space-lock.service';
export type { SpaceLockModuleOptions } from './space-lock-options.interface';
