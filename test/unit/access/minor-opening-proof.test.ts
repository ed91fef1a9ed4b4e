import { majorityDate, parisMidnight } from '../../../src/access/guardian-rules';
import { insMismatch } from '../../../src/access/minor-opening-proof';
import { forGuardian } from '../../../src/notify/guardian-recipients';

test('an INS states the sex, the year and the month of birth; an unknown month (20 and up) is accepted', () => {
  expect(insMismatch('216037512345600', '2016-03-10', 'female')).toBeUndefined();
  expect(insMismatch('216037512345600', '2016-03-10', 'male')).toMatch(/sexe/);
  expect(insMismatch('216037512345600', '2015-03-10', 'female')).toMatch(/année/);
  expect(insMismatch('216037512345600', '2016-04-10', 'female')).toMatch(/mois/);
  expect(insMismatch('216997512345600', '2016-04-10', 'female')).toBeUndefined();
});

test('majority is the 18th birthday, starting at midnight Paris time in winter and in summer', () => {
  expect(majorityDate('2008-12-07')).toBe('2026-12-07');
  expect(majorityDate('2008-07')).toBe('2026-07-01');
  expect(majorityDate('not a date')).toBeUndefined();
  expect(parisMidnight('2026-12-07').toISOString()).toBe('2026-12-06T23:00:00.000Z');
  expect(parisMidnight('2026-07-01').toISOString()).toBe('2026-06-30T22:00:00.000Z');
});

test('a guardian\'s copy of a notice says whose record it is about, and keeps the patient\'s text', () => {
  const text = forGuardian({ subject: 'Nouveau document', body: 'Un nouveau document a été ajouté.' }, { resourceType: 'Patient', name: [{ family: 'PETIT', given: ['Lou'] }] });
  expect(text.body).toBe('Vous recevez cet avis en tant que représentant légal du dossier médical partagé de Lou PETIT. Un nouveau document a été ajouté.');
  expect(text.subject).toBe('Nouveau document (représentant légal)');
});
