import { useSweepServer } from './sweep-4';

// Issue 11's outside check, sweep 6b, family 11 (sign-in and account), over HTTP on the production composition.
// Rule (README "Contact points"): `$change-contact` sends a 6-digit code to the new contact, at most 3 requests per
// record and hour; beyond, 429. Found: the count was read, then the code stored, with nothing between parallel requests,
// so forty requests sent at once got five codes out, to five addresses of the caller's choosing (codes and messages from
// the DMP sent to strangers, beyond the limit). The count now runs under a lock per record.

const { call } = useSweepServer('dmp-sweep6b-acct-');
const changeTo = (value: string) => ({ resourceType: 'Parameters', parameter: [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: value }] });

describe('the hourly limit of contact-change requests holds under parallel requests', () => {
  it('forty parallel $change-contact requests of one record send three codes; the others answer 429', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => call('p2', 'POST', '/Patient/p2/$change-contact', changeTo(`stranger${i}@example.org`))));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(3).fill(200), ...Array(37).fill(429)]);
  });

  it('another record keeps its own three requests (the lock is per record)', async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => call('patient', 'POST', '/Patient/p1/$change-contact', changeTo(`jeanne${i}@example.org`))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 429]);
  });
});
