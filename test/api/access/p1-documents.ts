import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RPPS } from './fixture';

const CDA = join(__dirname, '../../../fixtures/cda');

/**
 * fixtures/cda/lab-report-two-results.xml made p1's (the access fixture's patient): his INS under the production NIR
 * OID, his birth family name and birth date (a document is filed only in the record its identity agrees with), and
 * written by the specialist p1 authorised. Document id 1.2.250.1.999.1.1.7.1; two results (glucose, potassium).
 */
export const P1_LAB_REPORT = readFileSync(join(CDA, 'lab-report-two-results.xml'), 'utf8')
  .replace('root="1.2.250.1.213.1.4.10" extension="279035121518989"', 'root="1.2.250.1.213.1.4.8" extension="279035121518989"')
  .replace('<family qualifier="BR">PAT-TROIS</family>', '<family qualifier="BR">MARTIN</family>')
  .replace('<birthTime value="19790328"/>', '<birthTime value="20150402"/>')
  .split('extension="801234534765"').join(`extension="8${RPPS.spec}"`);

/** fixtures/cda/cr-img-thorax.xml made p1's the same way, signed by p1's treating physician (gp). */
export const P1_IMAGING_REPORT = readFileSync(join(CDA, 'cr-img-thorax.xml'), 'utf8')
  .replace('root="1.2.250.1.213.1.4.10" extension="286063306312356"', 'root="1.2.250.1.213.1.4.8" extension="279035121518989"')
  .replace('<family qualifier="BR">MARCHAL</family>', '<family qualifier="BR">MARTIN</family>')
  .replace('<birthTime value="19860614"/>', '<birthTime value="20150402"/>')
  .split('extension="810100098765"').join(`extension="8${RPPS.gp}"`);
