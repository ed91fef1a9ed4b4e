/**
 * Jest: TypeScript through ts-jest in transpile-only mode; `npm run typecheck` does the type checking once.
 * `jose` 6 ships ESM only, which Jest's CommonJS runtime cannot require: it is transformed like our sources.
 * test/examples reads the public CDA examples beside the repository: `npm run test:examples` runs it
 * (jest.examples.config.js), `npm test` never does, so a fresh clone's suite needs nothing outside the repository.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/examples/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    '^.+/node_modules/jose/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // Tests and hooks that migrate a fresh embedded PGlite run every migration (tens of seconds on a loaded 2-core machine).
  testTimeout: 120000,
  maxWorkers: 2,
  // A worker runs ~170 files in one process, and what a file leaves behind (module copies held by native handles, pools)
  // adds up: one reached a 4 GB heap after 2,365 s and crashed with two files unrun. Jest replaces a worker whose heap
  // passed this after a file, so the whole suite runs in bounded memory.
  workerIdleMemoryLimit: '1536MB',
};
