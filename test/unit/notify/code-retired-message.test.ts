import { buildAccountNotice } from '../../../src/notify/messages';

// The notice of codes retired by a guardian link (issue 12): what was retired, when (Europe/Paris), why, and the way
// forward; no code, no contact, no name.

const at = new Date('2026-07-01T08:30:00Z'); // 10:30 in Paris (summer time)

test('says which codes no longer work, with the Paris time and the counter as the way forward', () => {
  const cases: [{ activation: boolean; reset: boolean }, RegExp, string][] = [
    [{ activation: true, reset: false }, /^Le code d’activation de votre dossier médical partagé \(DMP\) a été annulé le 1 juillet 2026 à 10:30 : il avait pu être envoyé /, 'Votre code d’activation n’est plus valable'],
    [{ activation: true, reset: true }, /^Le code d’activation de votre dossier médical partagé \(DMP\) et votre code de réinitialisation du mot de passe en cours ont été annulés le 1 juillet 2026 à 10:30 : ils avaient pu être envoyés /, 'Votre code d’activation n’est plus valable'],
    [{ activation: false, reset: true }, /^Le code de réinitialisation du mot de passe de votre dossier médical partagé \(DMP\) en cours a été annulé le 1 juillet 2026 à 10:30 : il avait pu être envoyé /, 'Votre code de réinitialisation n’est plus valable'],
  ];
  for (const [retired, body, subject] of cases) {
    const text = buildAccountNotice('activation-code-retired', { at, retired });
    expect(text.subject).toBe(subject);
    expect(text.body).toMatch(body);
    expect(text.body).toContain('présentez-vous, muni d’une pièce d’identité, à un accueil de votre caisse d’Assurance Maladie');
    expect(text.body).not.toMatch(/\d{6}|\w{4}-\w{4}-\w{4}|@/);
  }
});
