import { IDNAT, RPPS } from './fixture';
import { useSweepServer } from './sweep-4';

// A message is sent by whoever writes it (found by attack sweep 4, left by it): a professional wrote a Communication
// in p1's record with `sender: Patient/p1`, and the patient's record showed a message from himself he never sent — or,
// the other way, anyone could sign a message with the treating physician's name. Now the sender of a Communication a
// token writes is one of the writer's own keys, or absent; anything else is 422 naming Communication.sender, nothing
// written. Fixture: gp is p1's treating physician (directory entry Practitioner/gp), spec is authorised in p1.

const { call } = useSweepServer('dmp-communication-sender-');
const message = (sender?: object) => ({ resourceType: 'Communication', status: 'completed', subject: { reference: 'Patient/p1' }, ...(sender ? { sender } : {}), payload: [{ contentString: 'Résultats disponibles' }] });
const count = async () => (await call('patient', 'GET', '/Communication?_summary=count')).body.total;

describe('Communication.sender names the writer', () => {
  it('refuses a professional signing as the patient, or as another professional (422, nothing written)', async () => {
    const before = await count();
    for (const sender of [{ reference: 'Patient/p1' }, { reference: 'Practitioner/gp' }, { identifier: { system: IDNAT, value: `8${RPPS.gp}` } }]) {
      const res = await call('spec', 'POST', '/Communication', message(sender));
      expect([res.status, res.body.issue?.[0]?.expression]).toEqual([422, ['Communication.sender']]);
    }
    expect(await count()).toBe(before);
  });

  it('refuses the patient signing as his physician', async () => {
    const res = await call('patient', 'POST', '/Communication', message({ reference: 'Practitioner/gp' }));
    expect([res.status, res.body.issue?.[0]?.expression]).toEqual([422, ['Communication.sender']]);
  });

  it('accepts the writer as sender, by his directory entry or his IdNat_PS, or no sender', async () => {
    expect((await call('gp', 'POST', '/Communication', message({ reference: 'Practitioner/gp' }))).status).toBe(201);
    expect((await call('gp', 'POST', '/Communication', message({ identifier: { system: IDNAT, value: `8${RPPS.gp}` } }))).status).toBe(201);
    expect((await call('patient', 'POST', '/Communication', message({ reference: 'Patient/p1' }))).status).toBe(201);
    expect((await call('spec', 'POST', '/Communication', message())).status).toBe(201);
  });

  it('refuses an update that makes one\'s own message the patient\'s', async () => {
    const created = await call('gp', 'POST', '/Communication', message({ reference: 'Practitioner/gp' }));
    const id = created.body.id as string;
    const put = await call('gp', 'PUT', `/Communication/${id}`, { ...message({ reference: 'Patient/p1' }), id });
    expect(put.status).toBe(422);
    expect((await call('patient', 'GET', `/Communication/${id}`)).body.sender).toEqual({ reference: 'Practitioner/gp' });
  });
});
