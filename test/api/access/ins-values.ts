/** A well-formed matricule INS from its 13 first characters: the 2-digit key is 97 − (number mod 97). */
export function withInsKey(body13: string): string {
  const key = 97 - Number(BigInt(body13) % 97n);
  return `${body13}${String(key).padStart(2, '0')}`;
}

/** The same matricule with a wrong control key. */
export function withWrongKey(body13: string): string {
  const right = withInsKey(body13).slice(13);
  return `${body13}${right === '01' ? '02' : '01'}`;
}
