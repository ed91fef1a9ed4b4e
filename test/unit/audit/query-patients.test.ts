import { patientIdentifiersFromQuery, patientsFromQuery } from '../../../src/audit/query-patients';
import { loadDefinitions } from '../../../src/fhir/search-registry';

beforeAll(() => loadDefinitions());

describe('the patients a search names', () => {
  it('reads patient, subject and Patient?_id, with or without the Patient/ prefix', () => {
    expect(patientsFromQuery('DocumentReference', 'patient=Patient%2Fp1')).toEqual(['p1']);
    expect(patientsFromQuery('Observation', 'subject=Patient/p2,Patient/p3&code=x')).toEqual(['p2', 'p3']);
    expect(patientsFromQuery('Patient', '_id=p4')).toEqual(['p4']);
    expect(patientsFromQuery('Observation', '_id=o1&subject=Group/g1')).toEqual([]);
  });

  it('reads patient identifiers from patient.identifier and Patient?identifier, as system|value tokens', () => {
    expect(patientIdentifiersFromQuery('DocumentReference', 'patient.identifier=urn%3Aoid%3A1.2.250.1.213.1.4.8%7C279035121518989')).toEqual([
      { system: 'urn:oid:1.2.250.1.213.1.4.8', value: '279035121518989' },
    ]);
    expect(patientIdentifiersFromQuery('Patient', 'identifier=123,|456')).toEqual([{ value: '123' }, { system: '', value: '456' }]);
    expect(patientIdentifiersFromQuery('Observation', 'identifier=123')).toEqual([]);
  });

  it('reads every spelling the search answers for a patient (attack sweep 12), and nothing else', () => {
    expect(patientsFromQuery('Observation', 'subject=p1')).toEqual(['p1']);
    expect(patientsFromQuery('Observation', 'subject=Patient/p1/_history/1')).toEqual(['p1']);
    expect(patientsFromQuery('Observation', 'subject:Patient._id=p1')).toEqual(['p1']);
    expect(patientsFromQuery('Observation', '%20patient=p1')).toEqual(['p1']);
    expect(patientsFromQuery('Observation', 'performer=p1')).toEqual(['p1']);
    expect(patientsFromQuery('Observation', 'subject=Group/p1&performer=Practitioner/p1&code=p1&subject:missing=true')).toEqual([]);
    expect(patientIdentifiersFromQuery('Observation', 'subject:Patient.identifier=s%7Cv')).toEqual([{ system: 's', value: 'v' }]);
  });
});
