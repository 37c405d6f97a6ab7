import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SpaceLockModuleOptions } from './space-lock-options.interface';

export const {
  ConfigurableModuleClass: ConfigurableSpaceLockModule,
  MODULE_OPTIONS_TOKEN: SPACE_LOCK_OPTIONS,
  OPTIONS_TYPE: SPACE_LOCK_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SPACE_LOCK_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SpaceLockModuleOptions>({ moduleName: 'SpaceLock' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
