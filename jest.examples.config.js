/**
 * `npm run test:examples`: the suites over the public CDA examples kept beside the repository (../shared/cda).
 * Same transform and settings as jest.config.js; only test/examples, which `npm test` leaves out.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/examples'],
  testPathIgnorePatterns: ['/node_modules/'],
};
