import { contactKey } from '../../../src/auth/credential-contacts';

// A parent's contact written another way must still be recognised as his (auth/credential-contacts.ts).
test('one key per e-mail whatever its case, and per French mobile whatever its spelling', () => {
  expect(contactKey('email', ' Maman@Example.org ')).toBe(contactKey('email', 'maman@example.org'));
  const mobiles = ['+33612345678', '06 12 34 56 78', '06.12.34.56.78', '+33 6 12 34 56 78'].map((m) => contactKey('sms', m));
  expect(new Set(mobiles).size).toBe(1);
  expect(contactKey('sms', '+33612345679')).not.toBe(mobiles[0]);
  expect(contactKey('email', 'a@example.org')).not.toBe(contactKey('sms', 'a@example.org'));
});
