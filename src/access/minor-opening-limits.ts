import { FhirError, tooManyRequests } from '../fhir/errors';
import type { Transactions } from '../store/db';
import { reserveOpeningAttempt } from '../store/minor-opening-attempts';

/**
 * Caps of `Patient/$open-minor-record` per parent (the signed-in record), why these numbers:
 * - **5 attempts per rolling hour**, whatever their outcome. A parent opening his children's records makes one attempt
 *   per child, a few more after a typing mistake; someone trying INS after INS is slowed to 5 an hour (each 409 tells
 *   him that a child has a record: the cap bounds that oracle to 120 answers a day instead of thousands a minute).
 * - **6 records opened per rolling 365 days**. In France about 1 family in 20 has four children or more and very few
 *   have more than six, and a parent opens each child's record once (siblings usually together): six covers twins and
 *   large families, while someone who knows other people's children's INS takes over at most six records a year per
 *   signed-in account. Beyond that, a professional or an Assurance Maladie office opens the record (`POST Patient`).
 * Attempts are counted before the opening runs and committed at once (migration 176), so parallel requests cannot pass.
 */
export const MINOR_OPENING_ATTEMPTS_PER_HOUR = 5;
export const MINOR_OPENINGS_PER_YEAR = 6;
const HOUR_MS = 3_600_000;
const YEAR_MS = 365 * 86_400_000;
/** The longest window of the caps: an attempt older than this counts for nothing and is purged (`records/purge-job.ts`). */
export const MINOR_OPENING_WINDOW_MS = YEAR_MS;

const parisTime = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });

function throttled(text: string, until: Date, at: Date): FhirError {
  const err = tooManyRequests(text);
  return new FhirError(err.status, err.outcome, { 'Retry-After': String(Math.max(1, Math.ceil((until.getTime() - at.getTime()) / 1000))) });
}

/**
 * Reserves one attempt of `parentId` at `at`; answers its id (mark it opened or refused afterwards), or throws 429 with
 * `Retry-After` and a French message saying when to try again and where else the record can be opened.
 */
export async function reserveMinorOpening(db: Transactions, parentId: string, at: Date): Promise<string> {
  const attemptsSince = new Date(at.getTime() - HOUR_MS);
  const openingsSince = new Date(at.getTime() - YEAR_MS);
  const result = await reserveOpeningAttempt(db, {
    parentId, at, attemptsSince, openingsSince,
    admit: (c) => c.attempts.length < MINOR_OPENING_ATTEMPTS_PER_HOUR && c.openings.length < MINOR_OPENINGS_PER_YEAR,
  });
  if ('id' in result) return result.id;
  const { attempts, openings } = result.refused;
  if (openings.length >= MINOR_OPENINGS_PER_YEAR) {
    // The oldest opening still counted leaves the window 365 days after it.
    const until = new Date(openings[openings.length - MINOR_OPENINGS_PER_YEAR].getTime() + YEAR_MS);
    throw throttled(
      `Vous avez déjà ouvert ${MINOR_OPENINGS_PER_YEAR} dossiers médicaux partagés d’enfants mineurs au cours des 12 derniers mois : ` +
        `vous pourrez en ouvrir un autre ici à partir du ${parisTime.format(until)}. D’ici là, un professionnel de santé, un pharmacien ` +
        'ou un accueil de l’Assurance Maladie peut ouvrir le dossier de votre enfant.',
      until, at,
    );
  }
  const until = new Date(attempts[attempts.length - MINOR_OPENING_ATTEMPTS_PER_HOUR].getTime() + HOUR_MS);
  throw throttled(
    `Trop de tentatives d’ouverture du dossier d’un enfant en une heure (${MINOR_OPENING_ATTEMPTS_PER_HOUR} au plus) : ` +
      `réessayez à partir du ${parisTime.format(until)}.`,
    until, at,
  );
}
