import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport, type CdaImportPlan } from '../../../src/cda';

const FOLDER = join(__dirname, '../../../fixtures/cda/sections');

/** The bytes of a whole CDA document: fixtures/cda/sections/<name>.xml (body sections) inside the shared header. */
export function sectionFixtureBytes(name: string): Buffer {
  const header = readFileSync(join(FOLDER, '_document.xml'), 'utf8');
  const sections = readFileSync(join(FOLDER, `${name}.xml`), 'utf8').replace(/^<\?xml[^>]*>\s*/, '');
  return Buffer.from(header.replace('<!-- SECTIONS -->', sections).replace(/DOCUMENT-ID/g, name), 'utf8');
}

/** The import plan of a section fixture (see sectionFixtureBytes). */
export function planSectionFixture(name: string): CdaImportPlan {
  return planCdaImport(sectionFixtureBytes(name));
}
