import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Patient } from '@medplum/fhirtypes';

/** A LOINC lab test the generator draws results from. */
const TESTS = [
  ['14749-6', 'Glucose [Moles/Volume] Sérum/Plasma', 'mmol/L', 3.9, 5.8],
  ['2823-3', 'Potassium [Moles/Volume] Sérum/Plasma', 'mmol/L', 3.5, 5.1],
  ['2951-2', 'Sodium [Moles/Volume] Sérum/Plasma', 'mmol/L', 136, 145],
  ['2160-0', 'Créatinine [Masse/Volume] Sérum/Plasma', 'mg/dL', 0.6, 1.2],
  ['3016-3', 'TSH [Unités/Volume] Sérum/Plasma', 'm[IU]/L', 0.27, 4.2],
  ['718-7', 'Hémoglobine [Masse/Volume] Sang', 'g/dL', 12, 16],
  ['6690-2', 'Leucocytes [Nombre/Volume] Sang', '10*9/L', 4, 10],
  ['777-3', 'Plaquettes [Nombre/Volume] Sang', '10*9/L', 150, 400],
  ['2093-3', 'Cholestérol [Masse/Volume] Sérum/Plasma', 'g/L', 1.5, 2.0],
  ['1988-5', 'Protéine C réactive [Masse/Volume] Sérum/Plasma', 'mg/L', 0, 5],
] as const;

/** A valid test INS (NIR + control key) for patient n, under the INS-NIR-TEST OID. */
export function testIns(n: number): string {
  const base = 2790351215000 + n;
  return `${base}${String(97 - (base % 97)).padStart(2, '0')}`;
}

/** The INS-NIR-TEST system of `testIns`. */
export const TEST_INS_SYSTEM = 'urn:oid:1.2.250.1.213.1.4.10';

/** The identity of one corpus patient, as the CDA header states it and as the record must hold it. */
export interface CorpusPatient {
  ins: string;
  birthName: string;
  given: string;
  /** FHIR date (YYYY-MM-DD). */
  birthDate: string;
}

/**
 * Patient n of the corpus. Documents are filed only in the record of their INS whose birth date, sex and birth name
 * agree with the header (identity vigilance): the generator writes each header from this object and `bench:import`
 * opens each record from it (`toRecord`), so the two cannot drift apart. Born 1979-03 and female, as the test NIR
 * itself encodes (`2 79 03 …`).
 */
export function corpusPatient(n: number): CorpusPatient {
  return { ins: testIns(n), birthName: `BENCH-PATIENTE-${n}`, given: 'DOMINIQUE', birthDate: '1979-03-28' };
}

/** The Patient resource that opens corpus patient n's record. */
export function toRecord(patient: CorpusPatient): Patient {
  return {
    resourceType: 'Patient',
    identifier: [{ system: TEST_INS_SYSTEM, value: patient.ins }],
    name: [{ use: 'official', family: patient.birthName, given: [patient.given] }],
    gender: 'female',
    birthDate: patient.birthDate,
  };
}

/** The lab fixture's recordTarget rewritten with this patient's INS, birth name, given name and birth date. */
function withPatient(header: string, patient: CorpusPatient): string {
  const edits: [string, string][] = [
    ['extension="279035121518989"', `extension="${patient.ins}"`],
    ['<given>DOMINIQUE MARIE-LOUISE</given>', `<given>${patient.given}</given>`],
    ['<family qualifier="BR">PAT-TROIS</family>', `<family qualifier="BR">${patient.birthName}</family>`],
    ['<birthTime value="19790328"/>', `<birthTime value="${patient.birthDate.replace(/-/g, '')}"/>`],
  ];
  return edits.reduce((text, [from, to]) => {
    // A fixture edited so that one of these is gone would send documents whose identity nobody opened a record for.
    if (!text.includes(from)) throw new Error(`fixtures/cda/lab-report-two-results.xml no longer contains ${from}: the import corpus cannot set its patient`);
    return text.replace(from, to);
  }, header);
}

function observation(docRoot: string, i: number, seed: number): string {
  const [code, name, unit, low, high] = TESTS[i % TESTS.length];
  const value = (low + ((high - low) * ((seed * 7 + i * 13) % 140)) / 100).toFixed(2);
  const flag = Number(value) > high ? 'H' : Number(value) < low ? 'L' : 'N';
  return `
              <entryRelationship typeCode="COMP">
                <observation classCode="OBS" moodCode="EVN">
                  <templateId root="1.3.6.1.4.1.19376.1.3.1.6"/>
                  <templateId root="1.2.250.1.213.1.1.3.80"/>
                  <id root="${docRoot}.100" extension="r${i}"/>
                  <code code="${code}" displayName="${name}" codeSystem="2.16.840.1.113883.6.1"/>
                  <statusCode code="completed"/>
                  <effectiveTime value="20240115080000+0100"/>
                  <value xsi:type="PQ" value="${value}" unit="${unit}"/>
                  <interpretationCode code="${flag}" codeSystem="2.16.840.1.113883.5.83"/>
                  <referenceRange><observationRange><value xsi:type="IVL_PQ"><low value="${low}" unit="${unit}"/><high value="${high}" unit="${unit}"/></value><interpretationCode code="N" codeSystem="2.16.840.1.113883.5.83"/></observationRange></referenceRange>
                </observation>
              </entryRelationship>`;
}

/**
 * Generates CR-BIO lab reports of about `targetBytes` (default 50 KB) from this project's own lab fixture: a
 * unique document id each, `results` LOINC results with values, ranges and flags, and a narrative (table plus the
 * biologist's comments) making up the rest, as real reports carry. Patients cycle over `corpusPatient(0 … patients - 1)`.
 */
export function generateLabReports(count: number, options: { run: string; results?: number; patients?: number; targetBytes?: number }): Buffer[] {
  const template = readFileSync(join(__dirname, '../fixtures/cda/lab-report-two-results.xml'), 'utf8');
  const head = template.slice(0, template.indexOf('<component>\n    <structuredBody>'));
  const results = options.results ?? 15;
  const reports: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const docRoot = `1.2.250.1.999.9.${options.run}.${n}`;
    const header = withPatient(head, corpusPatient(n % (options.patients ?? 20)))
      .replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="${docRoot}.1"/>`)
      .replace('<setId root="1.2.250.1.999.1.1.7"/>', `<setId root="${docRoot}"/>`);
    const rows = Array.from({ length: results }, (_, i) => `<tr><td>${TESTS[i % TESTS.length][1]}</td><td>voir résultat ${i}</td></tr>`).join('');
    let comment = '';
    const entries = Array.from({ length: results }, (_, i) => observation(docRoot, i, n)).join('');
    const body = (c: string) => `<component>
    <structuredBody>
      <component>
        <section>
          <templateId root="1.3.6.1.4.1.19376.1.3.3.2.1"/>
          <templateId root="1.2.250.1.213.1.1.2.70"/>
          <code code="18719-5" displayName="Biochimie" codeSystem="2.16.840.1.113883.6.1"/>
          <title>Biochimie</title>
          <text><table><tbody>${rows}</tbody></table><paragraph>${c}</paragraph></text>
          <entry typeCode="DRIV">
            <templateId root="1.3.6.1.4.1.19376.1.3.1"/>
            <act classCode="ACT" moodCode="EVN">
              <code code="18719-5" codeSystem="2.16.840.1.113883.6.1"/>
              <statusCode code="completed"/>${entries}
            </act>
          </entry>
        </section>
      </component>
    </structuredBody>
  </component>
</ClinicalDocument>
`;
    const bare = Buffer.byteLength(header + body(''));
    const sentence = 'Commentaire du biologiste : résultats à interpréter selon le contexte clinique et les traitements en cours. ';
    while (bare + Buffer.byteLength(comment) < (options.targetBytes ?? 50 * 1024)) comment += sentence;
    reports.push(Buffer.from(header + body(comment), 'utf8'));
  }
  return reports;
}
