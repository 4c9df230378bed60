import type { Config } from 'jest';

/**
 * The behaviour tests run twice: once compiled with legacy decorators
 * (`experimentalDecorators` + `emitDecoratorMetadata`, tsconfig.json) and once with
 * TypeScript's standard decorators (tsconfig.std.json). Store, process and package tests
 * do not depend on the decorator mode and run once, in the legacy project.
 */
const project = (displayName: string, tsconfig: string, testMatch: string[]): Config => ({
  displayName,
  globals: { DECORATOR_MODE: displayName },
  testEnvironment: 'node',
  testMatch,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig, diagnostics: { warnOnly: false } }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
});

const config: Config = {
  projects: [
    project('legacy-decorators', '<rootDir>/tsconfig.json', ['<rootDir>/test/**/*.test.ts']),
    project('standard-decorators', '<rootDir>/tsconfig.std.json', [
      '<rootDir>/test/core/**/*.test.ts',
      '<rootDir>/test/mcp/**/*.test.ts',
      '<rootDir>/test/http/**/*.test.ts',
      '<rootDir>/test/telemetry/**/*.test.ts',
    ]),
  ],
  testTimeout: 30_000,
};

export default config;
