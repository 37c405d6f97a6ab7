// swc keeps legacy decorators and their metadata, which NestJS dependency injection needs.
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
      sourceMaps: 'inline',
    },
  ],
};

// Tests exercise the sources directly, so a stale dist can never hide a regression.
const moduleNameMapper = {
  '^space-lock$': '<rootDir>/packages/space-lock/src/index.ts',
  '^space-lock/nestjs$': '<rootDir>/packages/space-lock/src/nestjs/index.ts',
};

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

module.exports = {
  // Integration suites wait on real TTLs, git and HTTP; unit suites finish far sooner.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{packages,apps}/*/test/unit/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: [
        '<rootDir>/{packages,apps}/*/test/{integration,e2e}/**/*.spec.ts',
        '<rootDir>/bench/test/**/*.spec.ts',
      ],
    },
  ],
};
