// A refused sign-in step answers the same whoever the identifier names (no account enumeration), but the account it
// named is known inside the server: the refusal is filed in that patient's trail, so he reads that someone tried to
// sign in to his space. The account rides on the error as a non-enumerable symbol: never serialised into an answer.
const ACCOUNT = Symbol('refused sign-in account');

/** Marks a sign-in refusal with the account (patient id) it concerned; the answer sent is unchanged. */
export function refusedFor<E extends Error>(err: E, patientId: string | undefined): E {
  if (patientId) Object.defineProperty(err, ACCOUNT, { value: patientId, enumerable: false });
  return err;
}

/** The account a sign-in refusal concerned, if the identifier or code named one. */
export function refusedAccountOf(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const value = (err as unknown as Record<symbol, unknown>)[ACCOUNT];
  return typeof value === 'string' ? value : undefined;
}
