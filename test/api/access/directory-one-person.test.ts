import { RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11 family 3 (directory data is attack surface), found by the attack sweep: the duplicate check compared
// `system|value`, so an unauthorised practitioner created a second entry for the treating physician — his RPPS written
// `https://rpps.esante.gouv.fr|<RPPS>` instead of `urn:oid:1.2.250.1.71.4.2.1|8<RPPS>` — under a name of his choosing,
// beside his own identifier. It granted no access (keys come from the token), but it is what the patient's pages use to
// name who read her record.

const { send } = useFixtureApp({ unauth: { kind: 'practitioner', id: '10000000077' } });

const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
const RPPS_SYSTEM = 'https://rpps.esante.gouv.fr';
const entry = (...identifier: { system: string; value: string }[]) => ({ resourceType: 'Practitioner', identifier, name: [{ family: 'Imposteur' }] });

test('an entry whose national identifiers name two people is refused (422), whatever their spelling', async () => {
  const res = await send('unauth', 'post', '/fhir/Practitioner', entry({ system: IDNAT, value: '810000000077' }, { system: RPPS_SYSTEM, value: RPPS.gp }));
  expect(res.status).toBe(422);
  expect(res.body.issue[0].diagnostics).toMatch(/names one person, but its national identifiers name 2/);
});

test('the treating physician in the other spelling is already in the directory (409), in either direction', async () => {
  const res = await send('unauth', 'post', '/fhir/Practitioner', entry({ system: RPPS_SYSTEM, value: RPPS.gp }));
  expect(res.status).toBe(409);
  expect(res.body.issue[0].diagnostics).toMatch(/^Practitioner\/gp already carries this national identifier/);
});

test('a colleague not in the directory yet, in both spellings of one RPPS, is added once', async () => {
  const first = await send('unauth', 'post', '/fhir/Practitioner', entry({ system: IDNAT, value: '810000000071' }, { system: RPPS_SYSTEM, value: '10000000071' }));
  expect(first.status).toBe(201);
  expect((await send('unauth', 'post', '/fhir/Practitioner', entry({ system: RPPS_SYSTEM, value: '10000000071' }))).status).toBe(409);
  expect((await send('unauth', 'post', '/fhir/Practitioner', entry({ system: IDNAT, value: '810000000071' }))).status).toBe(409);
});
