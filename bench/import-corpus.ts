import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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
 * biologist's comments) making up the rest, as real reports carry. Patients cycle over `patients` test INS.
 */
export function generateLabReports(count: number, options: { run: string; results?: number; patients?: number; targetBytes?: number }): Buffer[] {
  const template = readFileSync(join(__dirname, '../fixtures/cda/lab-report-two-results.xml'), 'utf8');
  const head = template.slice(0, template.indexOf('<component>\n    <structuredBody>'));
  const results = options.results ?? 15;
  const reports: Buffer[] = [];
  for (let n = 0; n < count; n++) {
    const docRoot = `1.2.250.1.999.9.${options.run}.${n}`;
    const header = head
      .replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="${docRoot}.1"/>`)
      .replace('<setId root="1.2.250.1.999.1.1.7"/>', `<setId root="${docRoot}"/>`)
      .replace('extension="279035121518989"', `extension="${testIns(n % (options.patients ?? 20))}"`);
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
