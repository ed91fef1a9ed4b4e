import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SHARED_CDA } from '../examples/public-examples';

// `npm run test:examples` on a fresh clone with nothing beside it (issue 14, checked by a newcomer): every suite passes
// with its one "not run" test, and Jest's last lines said only "6 passed". The reporter of jest.examples.config.js
// now ends the run with a line saying that no example was checked.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const NotRunReporter = require('../examples/not-run-reporter.js') as {
  new (g: unknown, o: { sharedCda?: string; out?: { write(s: string): void }; atExit?: (fn: () => void) => void }): { onRunComplete(): void };
  SHARED_CDA: string;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const examplesConfig = require('../../jest.examples.config.js') as { reporters?: string[] };

function lastWords(sharedCda: string): string {
  let out = '';
  new NotRunReporter({}, { sharedCda, out: { write: (s: string) => void (out += s) }, atExit: (fn) => fn() }).onRunComplete();
  return out;
}

describe('the reporter of npm run test:examples', () => {
  it('is the examples configuration\'s, after the default one, and looks where the suites look', () => {
    expect(examplesConfig.reporters).toEqual(['default', '<rootDir>/test/examples/not-run-reporter.js']);
    expect(NotRunReporter.SHARED_CDA).toBe(SHARED_CDA);
  });

  it('ends the run saying the examples were not run when their folder is absent', () => {
    const missing = path.join(tmpdir(), 'no-such-examples-folder');
    expect(lastWords(missing)).toMatch(new RegExp(`^\\nPUBLIC EXAMPLES NOT RUN: ${missing} not found\\. .*without checking any example`));
  });

  it('says nothing when they are there', () => {
    const present = mkdtempSync(path.join(tmpdir(), 'examples-'));
    try {
      expect(lastWords(present)).toBe('');
    } finally {
      rmSync(present, { recursive: true, force: true });
    }
  });
});
