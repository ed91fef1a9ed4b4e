import type { DocumentReference, Medication, MedicationDispense, Practitioner } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/edisp-deux-delivrances.xml: an eDISP of 12 June 2025 by pharmacist Paul OFFICINE-FICTIF
// (idNat 810100077665) with two supplies.
describe('a dispensation (eDISP) becomes one MedicationDispense per supplied product', () => {
  const { bundle, unmapped } = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/edisp-deux-delivrances.xml')));
  const dispenses = resourcesOf<MedicationDispense>(bundle, 'MedicationDispense');
  const medicationOf = (d: MedicationDispense): Medication => d.contained?.find((c) => `#${c.id}` === d.medicationReference?.reference) as Medication;
  const byCip = (cip: string) => dispenses.find((d) => medicationOf(d).code?.coding?.[0].code === cip) as MedicationDispense;

  it('gives two MedicationDispenses and no MedicationStatement', () => {
    expect(dispenses).toHaveLength(2);
    expect(resourcesOf(bundle, 'MedicationStatement')).toHaveLength(0);
    expect(unmapped).toEqual([]);
  });

  it('codes the apixaban box with its CIP code as the document gives it and its ATC translation', () => {
    expect(medicationOf(byCip('3400930000001')).code?.coding).toEqual([
      { system: 'urn:oid:1.2.250.1.213.2.3.2', code: '3400930000001', display: 'APIXABAN 5 mg cp pellic B/60' },
      { system: 'http://www.whocc.no/atc', code: 'B01AF02', display: 'apixaban' },
    ]);
  });

  it('keeps the lot number and expiry of each product, quantity and hand-over time of each supply', () => {
    const apixaban = byCip('3400930000001');
    expect(medicationOf(apixaban).batch).toEqual({ lotNumber: 'AB1234', expirationDate: '2027-03-31' });
    expect(apixaban.quantity).toMatchObject({ value: 2, unit: '{boîte}' });
    expect(apixaban.whenHandedOver).toBe('2025-06-12T16:15:00+02:00');
    expect(apixaban.status).toBe('completed');
    const paracetamol = byCip('3400930000002');
    expect(medicationOf(paracetamol).batch).toEqual({ lotNumber: 'PX-77' });
    expect(medicationOf(paracetamol).code?.coding?.[1]).toEqual({ system: 'http://www.whocc.no/atc', code: 'N02BE01', display: 'paracétamol' });
    expect(paracetamol.quantity).toMatchObject({ value: 1 });
    expect(paracetamol.whenHandedOver).toBe('2025-06-12T16:18:00+02:00');
  });

  it('names the dispensing pharmacist on both supplies (the second names nobody: the document author dispensed it)', () => {
    const [pharmacist] = resourcesOf<Practitioner>(bundle, 'Practitioner');
    expect(pharmacist.identifier?.[0]).toEqual({ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810100077665' });
    const url = bundle.entry?.find((e) => e.resource === pharmacist)?.fullUrl;
    for (const d of dispenses) expect(d.performer?.[0].actor.reference).toBe(url);
  });

  it('ties each dispense to the patient by INS', () => {
    for (const d of dispenses) expect(d.subject?.reference).toBe('Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|172037512304522');
  });

  it('classes the document as a dispensation (TRE_A03 43) with the IHE PHARM DIS format code', () => {
    const [dr] = resourcesOf<DocumentReference>(bundle, 'DocumentReference');
    expect(dr.category?.[0].coding?.[0]).toMatchObject({ system: 'urn:oid:1.2.250.1.213.1.1.4.1', code: '43' });
    expect(dr.content[0].format?.code).toBe('urn:ihe:pharm:dis:2010');
  });
});
