import { corpusPatient, generateLabReports, toRecord } from '../../bench/import-corpus';
import { planCdaImport } from '../../src/cda';
import { traitConflicts } from '../../src/documents/identity-traits';

// `bench:import` once measured 400 refusals: the documents named patients whose records it never opened as such.
describe('bench:import corpus', () => {
  const patients = 3;
  const reports = generateLabReports(6, { run: 'test', patients, targetBytes: 4096 });

  it.each(reports.map((doc, n) => [n, doc] as const))('report %i names the INS of the record opened for its patient, with agreeing traits', (n, doc) => {
    const plan = planCdaImport(doc);
    const record = toRecord(corpusPatient(n % patients));
    expect(plan.patientIdentifiers).toContainEqual(record.identifier?.[0]);
    expect(traitConflicts(plan.patientTraits, record)).toEqual([]);
    expect(plan.patientTraits.birthDate).toBe(record.birthDate);
    expect(plan.patientTraits.gender).toBe('female');
  });

  it('gives each patient a birth name of its own, so that a record matched by the wrong INS would conflict', () => {
    const [a, b] = [toRecord(corpusPatient(0)), toRecord(corpusPatient(1))];
    expect(traitConflicts(planCdaImport(reports[0]).patientTraits, b).map((c) => c.trait)).toEqual(['birthName']);
    expect(a.identifier?.[0].value).not.toBe(b.identifier?.[0].value);
  });

  it('gives every report its own document id', () => {
    const ids = reports.map((doc) => /<id root="([^"]+)"\/>\s*<code code="11502-2"/.exec(doc.toString('utf8'))?.[1]);
    expect(new Set(ids).size).toBe(reports.length);
  });
});
