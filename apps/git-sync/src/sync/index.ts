export * from './cycle-aborted.error';
export * from './cycle-status';
export * from './delete-plan';
export * from './derived-page-id';
export * from './engine-logger';
export * from './sync-engine';
