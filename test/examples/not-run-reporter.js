/**
 * Jest reporter of `npm run test:examples`: when the public examples are absent (../shared/cda beside the repository),
 * says so after Jest's summary, where a newcomer reads "Tests: 6 passed" (issue 14, checked by a newcomer: each
 * suite's "examples not run" warning scrolled away above stack frames, and the last lines said only that all passed).
 * Plain CommonJS: Jest loads reporters without transforming them.
 */
const { existsSync, writeSync } = require('node:fs');
const { join } = require('node:path');

/** The same folder as test/examples/public-examples.ts reads. */
const SHARED_CDA = join(__dirname, '../../../shared/cda');

class NotRunReporter {
  constructor(_globalConfig, options = {}) {
    this.sharedCda = options.sharedCda ?? SHARED_CDA;
    this.out = options.out ?? { write: (text) => writeSync(2, text) };
    // Jest's summary reporter runs after the configured ones: the line is written as the process exits, so it is last.
    this.atExit = options.atExit ?? ((fn) => process.once('exit', fn));
  }

  onRunComplete() {
    if (existsSync(this.sharedCda)) return;
    this.atExit(() => this.out.write(
      `\nPUBLIC EXAMPLES NOT RUN: ${this.sharedCda} not found. The suites above passed without checking any example ` +
        '(exit code 0 all the same); put the ANS CI-SIS and HL7 C-CDA examples in ../shared/cda/{fr,us} to run them.\n',
    ));
  }
}

module.exports = NotRunReporter;
module.exports.SHARED_CDA = SHARED_CDA;
