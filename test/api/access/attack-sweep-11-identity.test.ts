import { byRpps, consent, INS_NIR, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { useSweepServer, type Answer } from './sweep-4';

// Issue 11's outside check, eleventh sweep, family "identity and filing", over HTTP on the production composition.
// Expected answers come from the rules (DMP-CONTRACT §1.1 and DESIGN §5 "Identity": a record is found by the INS, one
// record per INS; the INS is the patient's NIR, or his NIA while he has none — one matricule per person, whatever OID
// it is written under; a patient opening his record online proves his own INS by his sign-in). What the attacker gained
// from the gap: he opened his record with his own INS and his neighbour's NIA beside it. The record claimed both; the
// lab's feeder then filed her report (sent by her INS) in his record, where he read it; her sign-in opened his record;
// and she could no longer open one of her own (409: "a record already exists").

const { call } = useSweepServer('dmp-sweep11-identity-');
const NIA = 'urn:oid:1.2.250.1.213.1.4.9';
const TEST_NIR = 'urn:oid:1.2.250.1.213.1.4.10';
const refused = (answer: Answer): boolean => answer.status >= 400 && answer.status < 500 && answer.body?.resourceType === 'OperationOutcome';

/** A Patient of the given INS identifiers, with the traits the profile asks for (the victim's: the attacker knows them). */
const patient = (...identifier: { system: string; value: string }[]) => ({
  resourceType: 'Patient', identifier, name: [{ family: 'VOISINE', given: ['Anne'] }], gender: 'female', birthDate: '1985-07-01',
});
/** A PDF lab report the feeder sends for the patient of `ins`, written by the fixture's author. */
const reportFor = (system: string, ins: string, n: number) => ({
  resourceType: 'DocumentReference',
  masterIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.250.1.999.7.11.${n}` },
  status: 'current',
  type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
  subject: { reference: `Patient?identifier=${system}|${ins}` },
  author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.author}` } }],
  content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from(`%PDF-1.4 résultats ${n}`).toString('base64'), title: 'CR de biologie' } }],
});
const count = async (who: Parameters<typeof call>[0], query: string): Promise<number> => (await call(who, 'GET', `/${query}&_summary=count`)).body.total as number;

describe('a record carries one INS: the patient\'s', () => {
  it('a patient opening his record online with his INS and another person\'s beside it: refused (POST and transaction), nothing written', async () => {
    const own = withInsKey('1850775123401');
    const victim = withInsKey('2850775123402');
    const attacker = { kind: 'patient' as const, id: own };
    for (const [label, body] of [['NIA', patient({ system: INS_NIR, value: own }, { system: NIA, value: victim })], ['NIR', patient({ system: INS_NIR, value: own }, { system: INS_NIR, value: victim })]] as const) {
      const direct = await call(attacker, 'POST', '/Patient', body);
      expect([label, direct.status, refused(direct)]).toEqual([label, 422, true]);
      const inTransaction = await call(attacker, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: body, request: { method: 'POST', url: 'Patient' } }] });
      expect([label, refused(inTransaction)]).toEqual([label, true]);
    }
    expect(await count(attacker, `Patient?identifier=${INS_NIR}|${own}`)).toBe(0);
    // The comparison can fail: his INS alone opens his record.
    expect((await call(attacker, 'POST', '/Patient', patient({ system: INS_NIR, value: own }))).status).toBe(201);
  });

  it('so her INS stays hers: the feeder\'s report for it is not filed in his record, and she opens her own record', async () => {
    const own = withInsKey('1850775123403');
    const victim = withInsKey('2850775123404');
    const attacker = { kind: 'patient' as const, id: own };
    const attempt = await call(attacker, 'POST', '/Patient', patient({ system: INS_NIR, value: own }, { system: NIA, value: victim }));
    expect(refused(attempt)).toBe(true);
    // He opens his record with his INS, records its opening and authorises the report's author, as a record must.
    const opened = await call(attacker, 'POST', '/Patient', patient({ system: INS_NIR, value: own }));
    expect(opened.status).toBe(201);
    for (const provision of [{ type: 'permit' }, { type: 'permit', actor: [byRpps(RPPS.author)] }]) {
      expect((await call(attacker, 'POST', '/Consent', { ...consent('x', opened.body.id, provision as never), id: undefined })).status).toBe(201);
    }
    const fed = await call('feeder', 'POST', '/DocumentReference', reportFor(NIA, victim, 1));
    expect(refused(fed)).toBe(true);
    expect(await count(attacker, `DocumentReference?patient=Patient/${opened.body.id}`)).toBe(0);
    // Her sign-in does not open his record, and she opens hers.
    const her = { kind: 'patient' as const, id: victim };
    expect((await call(her, 'GET', `/Patient/${opened.body.id}`)).status).toBe(404);
    expect((await call(her, 'POST', '/Patient', patient({ system: NIA, value: victim }))).status).toBe(201);
  });

  it('a professional or the Assurance Maladie opening a record with two INS: 422, nothing written', async () => {
    const first = withInsKey('1850775123405');
    const second = withInsKey('2850775123406');
    for (const who of ['unauth', 'am'] as const) {
      const res = await call(who, 'POST', '/Patient', patient({ system: INS_NIR, value: first }, { system: NIA, value: second }));
      expect([who, res.status, refused(res)]).toEqual([who, 422, true]);
      expect(res.body.issue[0].expression).toEqual(['Patient.identifier']);
    }
    const self = { kind: 'patient' as const, id: second };
    expect(await count(self, `Patient?identifier=${NIA}|${second}`)).toBe(0);
    expect((await call(self, 'POST', '/Patient', patient({ system: NIA, value: second }))).status).toBe(201);
  });

  it('the identity procedure gives a record one INS too: two → 422, the record unchanged', async () => {
    const own = withInsKey('1850775123407');
    const other = withInsKey('2850775123408');
    const holder = { kind: 'patient' as const, id: own };
    const opened = await call(holder, 'POST', '/Patient', patient({ system: INS_NIR, value: own }));
    expect(opened.status).toBe(201);
    const verifier = { kind: 'practitioner' as const, id: '10000000088', role: 'identity-verifier' as const };
    const parameter = [
      { name: 'identifier', valueIdentifier: { system: INS_NIR, value: own } },
      { name: 'identifier', valueIdentifier: { system: NIA, value: other } },
      { name: 'reason', valueString: 'Pièce d\'identité vérifiée' },
    ];
    const res = await call(verifier, 'POST', `/Patient/${opened.body.id}/$update-identity`, { resourceType: 'Parameters', parameter });
    expect([res.status, refused(res)]).toEqual([422, true]);
    expect((await call(holder, 'GET', `/Patient/${opened.body.id}`)).body.identifier).toEqual([{ system: INS_NIR, value: own }]);
    // The comparison can fail: one INS replacing the other is the procedure's ordinary work.
    const swap = await call(verifier, 'POST', `/Patient/${opened.body.id}/$update-identity`, { resourceType: 'Parameters', parameter: parameter.slice(1) });
    expect(swap.status).toBe(200);
  });

  it('holds: one INS written under the NIR and the test NIR OIDs is one INS (one person), opened by its holder', async () => {
    const own = withInsKey('1850775123409');
    const res = await call({ kind: 'patient', id: own }, 'POST', '/Patient', patient({ system: INS_NIR, value: own }, { system: TEST_NIR, value: own }));
    expect(res.status).toBe(201);
  });
});
