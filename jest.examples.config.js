/**
 * `npm run test:examples`: the suites over the public CDA examples kept beside the repository (../shared/cda).
 * Same transform and settings as jest.config.js; only test/examples, which `npm test` leaves out.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/examples'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Without ../shared/cda every suite passes with its one "not run" test: the last line says so, after the summary.
  reporters: ['default', '<rootDir>/test/examples/not-run-reporter.js'],
};
