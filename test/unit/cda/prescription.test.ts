import type { MedicationRequest, Practitioner } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/prescription-deux-lignes.xml (its header comment says the same): a prescription of
// 20 June 2025 10:00 (+02:00) by Dr Claire PRESCRIPTRICE-FICTIVE (idNat 810100012345), two lines in moodCode INT.
// Line 1: levothyroxine CIS 60000011 / ATC H03AA01, 2025-06-20 → 2025-12-20, 1 {tablet} before breakfast (EIVL ACM),
// oral (EDQM 20053000), 3 boxes (EDQM 30009000), 1 renewal, substitution N (narrow therapeutic margin), no entry author.
// Line 2: amoxicillin CIS 60000022 / ATC J01CA04, 2025-06-02 → 2025-06-08, 1.0 g every 8 h, oral, 1 box, 0 renewal,
// substitution E, reason ICD-10 J02.9, author Dr Hugo URGENTISTE-FICTIF (idNat 810100054321) on 2025-06-02.
describe('a prescription becomes one MedicationRequest per line, never a MedicationStatement', () => {
  const plan = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/prescription-deux-lignes.xml')));
  const { bundle } = plan;
  const requests = resourcesOf<MedicationRequest>(bundle, 'MedicationRequest');
  const byCis = (cis: string) => requests.find((r) => r.medicationCodeableConcept?.coding?.[0].code === cis) as MedicationRequest;
  const levothyroxine = byCis('60000011');
  const amoxicillin = byCis('60000022');
  const practitionerUrl = (idNat: string) =>
    bundle.entry?.find((e) => e.resource?.resourceType === 'Practitioner' && (e.resource as Practitioner).identifier?.some((i) => i.value === idNat))?.fullUrl;

  it('gives two MedicationRequests, no MedicationStatement, and reports nothing unmapped', () => {
    expect(requests).toHaveLength(2);
    expect(resourcesOf(bundle, 'MedicationStatement')).toHaveLength(0);
    expect(plan.unmapped).toEqual([]);
  });

  it('orders both lines (intent order) for the patient, coded as the document codes them (CIS with its ATC translation)', () => {
    for (const r of requests) {
      expect(r.intent).toBe('order');
      expect(r.subject?.reference).toBe('Patient?identifier=urn:oid:1.2.250.1.213.1.4.10|172037512304522');
      expect(r.doNotPerform).toBeUndefined();
    }
    expect(levothyroxine.medicationCodeableConcept?.coding).toEqual([
      { system: 'urn:oid:1.2.250.1.213.2.3.1', code: '60000011', display: 'LEVOTHYROXINE ESSAI 75 microgrammes, comprimé sécable' },
      { system: 'http://www.whocc.no/atc', code: 'H03AA01', display: 'levothyroxine sodium' },
    ]);
    expect(amoxicillin.medicationCodeableConcept?.coding?.[1]).toEqual({ system: 'http://www.whocc.no/atc', code: 'J01CA04', display: 'amoxicillin' });
  });

  it('says the line still running at the document date is active and the line that ended before it completed', () => {
    const treatmentPeriod = (r: MedicationRequest) => r.extension?.find((e) => e.url.endsWith('extension-MedicationRequest.effectiveDosePeriod'))?.valuePeriod;
    expect(treatmentPeriod(levothyroxine)).toEqual({ start: '2025-06-20', end: '2025-12-20' });
    expect(treatmentPeriod(amoxicillin)).toEqual({ start: '2025-06-02', end: '2025-06-08' });
    expect(levothyroxine.status).toBe('active');
    expect(levothyroxine.dosageInstruction?.[0].timing?.repeat?.boundsPeriod).toEqual({ start: '2025-06-20', end: '2025-12-20' });
    expect(amoxicillin.status).toBe('completed');
    expect(amoxicillin.dosageInstruction?.[0].timing?.repeat?.boundsPeriod).toEqual({ start: '2025-06-02', end: '2025-06-08' });
  });

  it('refuses substitution where the line says N, with its reason, and allows it where the line says E (the code kept)', () => {
    const substitution = (code: string, display: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-substanceAdminSubstitution', code, display }] });
    expect(levothyroxine.substitution).toEqual({ allowedCodeableConcept: substitution('N', 'Aucune substitution permise'), reason: { text: 'Non substituable (MTE) : marge thérapeutique étroite' } });
    expect(amoxicillin.substitution).toEqual({ allowedCodeableConcept: substitution('E', 'Substitution par un équivalent') });
  });

  it('keeps the dosage: route, dose with its written digits and unit, frequency or meal event, patient instruction', () => {
    const [l1] = levothyroxine.dosageInstruction ?? [];
    expect(l1.route?.coding?.[0]).toEqual({ system: 'urn:oid:0.4.0.127.0.16.1.1.2.1', code: '20053000', display: 'Voie orale' });
    expect(l1.doseAndRate?.[0].doseQuantity).toMatchObject({ value: 1, unit: '{tablet}' });
    expect(l1.timing?.repeat?.when).toEqual(['ACM']);
    expect(l1.patientInstruction).toBe('À prendre à jeun, 30 minutes avant le petit-déjeuner.');
    const [l2] = amoxicillin.dosageInstruction ?? [];
    const dose = l2.doseAndRate?.[0].doseQuantity as Record<string, unknown>;
    expect(dose).toMatchObject({ value: 1, unit: 'g', system: 'http://unitsofmeasure.org', code: 'g' });
    expect((dose._value as { extension: { valueString: string }[] }).extension[0].valueString).toBe('1.0');
    expect(l2.timing?.repeat).toMatchObject({ frequency: 1, period: 8, periodUnit: 'h' });
  });

  it('asks for the amount in EDQM packaging units and the renewals stated', () => {
    expect(levothyroxine.dispenseRequest).toEqual({ quantity: { value: 3, system: 'urn:oid:0.4.0.127.0.16.1.1.2.1', code: '30009000' }, numberOfRepeatsAllowed: 1 });
    expect(amoxicillin.dispenseRequest).toEqual({ quantity: { value: 1, system: 'urn:oid:0.4.0.127.0.16.1.1.2.1', code: '30009000' }, numberOfRepeatsAllowed: 0 });
  });

  it("names the line's own author as its requester, else the document's author, with their dates", () => {
    expect(levothyroxine.requester?.reference).toBe(practitionerUrl('810100012345'));
    expect(levothyroxine.authoredOn).toBe('2025-06-20T10:00:00+02:00');
    expect(amoxicillin.requester?.reference).toBe(practitionerUrl('810100054321'));
    expect(amoxicillin.authoredOn).toBe('2025-06-02');
  });

  it('keeps the reason of the amoxicillin line and the narrative of each line in note', () => {
    expect(amoxicillin.reasonCode).toEqual([{ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'J02.9', display: 'Pharyngite aiguë, sans précision' }] }]);
    expect(levothyroxine.reasonCode).toBeUndefined();
    expect(levothyroxine.note).toEqual([{ text: 'Lévothyroxine 75 microgrammes, comprimé sécable' }]);
    expect(amoxicillin.note).toEqual([{ text: 'Amoxicilline 1 g, comprimé dispersible' }]);
  });
});

describe('a treatment a care plan intends, or one proposed, is a MedicationRequest of that intent', () => {
  const xml = readFileSync(join(__dirname, '../../../fixtures/cda/prescription-deux-lignes.xml'), 'utf8');
  // The same line outside a prescription (no PHARM PRE / FR-Traitement-prescrit template): a plan, or a proposal (PRP).
  const asPlan = (mood: string) =>
    planCdaImport(Buffer.from(xml.replace(/<templateId root="1\.3\.6\.1\.4\.1\.19376\.1\.9\.1\.3\.2"\/>|<templateId root="1\.2\.250\.1\.213\.1\.1\.3\.83"\/>/g, '').replace(/moodCode="INT"(>\s*<templateId root="2\.16\.840\.1\.113883\.10\.20\.1\.24")/g, `moodCode="${mood}"$1`)));

  it('plans (intent plan) an INT treatment without requester or date the line does not state', () => {
    const requests = resourcesOf<MedicationRequest>(asPlan('INT').bundle, 'MedicationRequest');
    const levothyroxine = requests.find((r) => r.medicationCodeableConcept?.coding?.[0].code === '60000011') as MedicationRequest;
    expect(levothyroxine.intent).toBe('plan');
    expect(levothyroxine.requester).toBeUndefined();
    expect(levothyroxine.authoredOn).toBeUndefined();
    expect(requests.find((r) => r.medicationCodeableConcept?.coding?.[0].code === '60000022')?.requester).toBeDefined();
  });

  it('proposes (intent proposal) a PRP treatment', () => {
    const requests = resourcesOf<MedicationRequest>(asPlan('PRP').bundle, 'MedicationRequest');
    expect(requests.map((r) => r.intent)).toEqual(['proposal', 'proposal']);
  });

  it('turns a negated prescription of a named product into a request not to give it (doNotPerform), not into nothing', () => {
    const negated = planCdaImport(Buffer.from(xml.replace('<substanceAdministration classCode="SBADM" moodCode="INT">', '<substanceAdministration classCode="SBADM" moodCode="INT" negationInd="true">')));
    const [first] = resourcesOf<MedicationRequest>(negated.bundle, 'MedicationRequest');
    expect(first.doNotPerform).toBe(true);
  });
});
