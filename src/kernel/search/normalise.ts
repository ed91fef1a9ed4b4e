/** Lower-cases and strips accents, for case- and accent-insensitive string search (stored and queried alike). */
export function normaliseString(value: string): string {
  return value.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase().trim();
}
