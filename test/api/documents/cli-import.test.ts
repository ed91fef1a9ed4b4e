import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSummary, parseImportArgs, progressBar } from '../../../src/cli/import';
import { collectFiles, importFiles } from '../../../src/documents/batch-import';
import type { TestApp } from '../../support/test-app';
import { createDocumentsApp, createMarchalPatient, FIXTURES, MARCHAL_DOCUMENTS } from './documents-app';

describe('CDA import CLI', () => {
  let app: TestApp;
  let server: Server;
  let fhirUrl: string;
  // A folder as a sender would have it: our own CDA fixtures of one patient, a broken file and a file that is not XML.
  const dir = mkdtempSync(join(tmpdir(), 'cda-cli-'));
  for (const file of MARCHAL_DOCUMENTS) copyFileSync(join(FIXTURES, 'cda', file), join(dir, file));
  writeFileSync(join(dir, 'broken.xml'), '<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3"');
  writeFileSync(join(dir, 'notes.txt'), 'not a CDA, not an .xml file: skipped');

  beforeAll(async () => {
    app = await createDocumentsApp();
    await createMarchalPatient(app);
    server = app.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    fhirUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await app.close();
  });

  it('parses files, folders and options, and refuses unknown options with the usage', () => {
    expect(parseImportArgs(['a.xml', 'dir', '--url', 'http://x/fhir/', '--token-file', 't.txt', '--concurrency', '2'])).toEqual({ paths: ['a.xml', 'dir'], url: 'http://x/fhir', tokenFile: 't.txt', concurrency: 2 });
    expect(() => parseImportArgs(['a.xml', '--token', 'secret'])).toThrow(/DMP_IMPORT_TOKEN/);
    expect(() => parseImportArgs(['--verbose', 'a.xml'])).toThrow(/usage/);
    expect(() => parseImportArgs([])).toThrow(/usage/);
  });

  it('draws a progress bar proportional to the files done', () => {
    expect(progressBar(5, 10, 10)).toBe('[#####.....] 5/10');
  });

  it('imports a folder, then reports the same files as duplicates and a broken file as rejected with its reason', async () => {
    const files = collectFiles([dir]);
    expect(files).toHaveLength(MARCHAL_DOCUMENTS.length + 1);
    expect(files.some((f) => f.endsWith('notes.txt'))).toBe(false);
    const seen: number[] = [];
    const first = await importFiles(files, { fhirUrl, concurrency: 2, onOutcome: (_o, done) => seen.push(done) });
    expect(first.imported).toBe(files.length - 1);
    expect(first.rejected).toBe(1);
    expect(first.outcomes.find((o) => o.result === 'rejected')?.reason).toMatch(/HTTP 400: .*line \d+, column \d+/);
    expect(seen.sort((a, b) => a - b)).toEqual(files.map((_, i) => i + 1));
    const again = await importFiles(files, { fhirUrl });
    expect(again).toMatchObject({ imported: 0, duplicate: files.length - 1, rejected: 1 });
    expect(formatSummary(again)).toMatch(/imported: 0 {2}duplicate: \d+ {2}rejected: 1\n[\s\S]*rejected .*broken\.xml: HTTP 400/);
  });
});
