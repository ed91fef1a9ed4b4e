import type { Consent } from '@medplum/fhirtypes';
import { parisDay } from '../../../src/access/paris-calendar';
import type { MintOptions } from '../../../src/auth/mint-token';
import { byRpps, consent, RPPS } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11's outside check, eighth sweep, family "a Consent read as written": its period. Rule (src/access/README.md,
// "The Consent coding"; FHIR R4 Period): a period bound may be a year, a month, a date or a dateTime, and the end
// includes the whole unit it names. A year or a month was handed to PostgreSQL as an instant and the Consent failed
// with 500 (a block "until 2099" could not be written); a date end stopped at the start of that day, so an
// authorisation "until today" had already ended and a block "until today" had already lifted. Fixture: the specialist
// `spec` is authorised on p1 and reads document d1.

const { call } = useSweepServer('dmp-sweep8-periods-');
const practitioner = (rpps: string): MintOptions => ({ kind: 'practitioner', id: rpps });

function consentOf(type: 'permit' | 'deny', rpps: string, period: Record<string, string>): Consent {
  const { id, ...body } = consent('x', 'p1', { type, actor: [byRpps(rpps)], period } as NonNullable<Consent['provision']>);
  void id;
  return body as Consent;
}

describe('a Consent period is read as FHIR writes it', () => {
  for (const end of ['2099', '2099-06']) {
    it(`a block until ${end} is written (201) and blocks, not a 500`, async () => {
      expect((await call('spec', 'GET', '/DocumentReference/d1')).status).toBe(200);
      const write = await call('patient', 'POST', '/Consent', consentOf('deny', RPPS.spec, { end }));
      expect(write.status).toBe(201);
      expect((await call('spec', 'GET', '/DocumentReference/d1')).status).toBe(404);
      expect((await call('patient', 'DELETE', `/Consent/${write.body.id}`)).status).toBe(200);
    });
  }

  it('an authorisation from 2000 to 2001 is written (201) and authorises nothing now', async () => {
    const write = await call('patient', 'POST', '/Consent', consentOf('permit', '10000000170', { start: '2000', end: '2001' }));
    expect(write.status).toBe(201);
    expect((await call(practitioner('10000000170'), 'GET', '/DocumentReference/d1')).status).toBe(404);
  });

  it('an end on today\'s date includes today: an authorisation until today still authorises, a block until today still blocks', async () => {
    const today = parisDay(new Date()); // a date names a day in France (consent-periods-paris.test.ts)
    expect((await call('patient', 'POST', '/Consent', consentOf('permit', '10000000171', { end: today }))).status).toBe(201);
    expect((await call(practitioner('10000000171'), 'GET', '/DocumentReference/d1')).status).toBe(200);
    const block = await call('patient', 'POST', '/Consent', consentOf('deny', RPPS.spec, { end: today }));
    expect(block.status).toBe(201);
    expect((await call('spec', 'GET', '/DocumentReference/d1')).status).toBe(404);
    expect((await call('patient', 'DELETE', `/Consent/${block.body.id}`)).status).toBe(200);
  });

  it('an end that has passed lets the authorisation lapse (the comparison can fail)', async () => {
    expect((await call('patient', 'POST', '/Consent', consentOf('permit', '10000000172', { end: '2020-01-01' }))).status).toBe(201);
    expect((await call(practitioner('10000000172'), 'GET', '/DocumentReference/d1')).status).toBe(404);
  });
});
