/** How notices and messages patients read give an instant: in French, in Europe/Paris time ("6 décembre 2026 à 07:21"). */
const PARIS_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });
/** A day alone, in Europe/Paris ("6 décembre 2026"). */
const PARIS_DAY = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long' });

/** An instant as a patient reads it: French, Europe/Paris time. */
export function parisTime(at: Date): string {
  return PARIS_TIME.format(at);
}

/** A day as a patient reads it: French, Europe/Paris. */
export function parisDay(at: Date): string {
  return PARIS_DAY.format(at);
}
