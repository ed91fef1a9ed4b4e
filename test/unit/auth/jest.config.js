/**
 * Root Jest config plus a transform for `jose` (ESM-only since v6; Jest 30 on Node 20 cannot require ESM).
 * Until the root config carries these two keys, run:
 *   npm run -s jest -- -c test/unit/auth/jest.config.js test/unit/auth test/unit/access
 */
const path = require('node:path');
const base = require('../../../jest.config.js');
module.exports = {
  ...base,
  rootDir: path.resolve(__dirname, '../../..'),
  transform: {
    ...base.transform,
    '^.+/node_modules/jose/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};
