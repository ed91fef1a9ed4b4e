import { professionalPerson, professionalSpellings, PROFESSIONAL_ID_SYSTEMS } from './actor';

/** IdNat_Struct (CI-SIS): `1` + FINESS, `2` + SIREN, `3` + SIRET, other prefixes (`4` + RPPS-rang, `0` + ADELI-rang …). */
export const IDNAT_STRUCT_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.2';
/** The FINESS registry, as the ANS guides spell it (DMP-CONTRACT §3: "normalise on input"). */
export const FINESS_SYSTEMS: readonly string[] = ['http://finess.sante.gouv.fr', 'https://finess.sante.gouv.fr', 'http://finess.esante.gouv.fr', 'https://finess.esante.gouv.fr'];
/** The SIRENE registry (SIREN: 9 digits, SIRET: 14), `http` in older guides, `https` in FR Core and the annuaire. */
export const SIRENE_SYSTEMS: readonly string[] = ['http://sirene.fr', 'https://sirene.fr'];
/** Systems of the national identifiers of organisations: an Organization carrying one of them names that structure. */
export const ORGANISATION_ID_SYSTEMS: readonly string[] = [IDNAT_STRUCT_SYSTEM, ...FINESS_SYSTEMS, ...SIRENE_SYSTEMS];

/** A FINESS number: 9 characters, the département first (`2A`/`2B` in Corsica). */
const FINESS = /^(\d{2}|2[AB])\d{7}$/;
const SIREN = /^\d{9}$/;
const SIRET = /^\d{14}$/;

/**
 * The structure a national organisation identifier names, one definition for the directory's duplicate check and the
 * import's look-up (`organisationSpellings`): a FINESS is one structure whether written `IdNat_Struct|1<FINESS>` or under
 * any FINESS URI, a SIRET `IdNat_Struct|3<SIRET>` or under either SIRENE URI, a SIREN `IdNat_Struct|2<SIREN>` or
 * SIRENE. Any other IdNat_Struct (an RPPS-rang, an ADELI-rang, a bare number …) is only itself: a 9-digit value with no
 * prefix could be a FINESS or a SIREN, two different structures. When the check knew one spelling only, an entry
 * already in the directory under another was added again by the import (issue 11).
 */
export function organisationStructure(system: string, value: string): string {
  if (system === IDNAT_STRUCT_SYSTEM) {
    const [prefix, rest] = [value.slice(0, 1), value.slice(1)];
    if (prefix === '1' && FINESS.test(rest)) return `finess:${rest}`;
    if (prefix === '2' && SIREN.test(rest)) return `siren:${rest}`;
    if (prefix === '3' && SIRET.test(rest)) return `siret:${rest}`;
    return `idnat-struct:${value}`;
  }
  if (FINESS_SYSTEMS.includes(system)) return FINESS.test(value) ? `finess:${value}` : `finess-other:${value}`;
  if (SIRENE_SYSTEMS.includes(system)) return SIREN.test(value) ? `siren:${value}` : SIRET.test(value) ? `siret:${value}` : `sirene-other:${value}`;
  return `other:${system}|${value}`;
}

/** Every spelling (`system|value`) of the structure a national organisation identifier names (see `organisationStructure`). */
export function organisationSpellings(system: string, value: string): string[] {
  const structure = organisationStructure(system, value);
  const id = structure.slice(structure.indexOf(':') + 1);
  const under = (systems: readonly string[]) => systems.map((s) => `${s}|${id}`);
  switch (structure.slice(0, structure.indexOf(':'))) {
    case 'finess': return [`${IDNAT_STRUCT_SYSTEM}|1${id}`, ...under(FINESS_SYSTEMS)];
    case 'siren': return [`${IDNAT_STRUCT_SYSTEM}|2${id}`, ...under(SIRENE_SYSTEMS)];
    case 'siret': return [`${IDNAT_STRUCT_SYSTEM}|3${id}`, ...under(SIRENE_SYSTEMS)];
    case 'idnat-struct': return [`${IDNAT_STRUCT_SYSTEM}|${id}`];
    // A value of another shape is still under one registry, whichever of its URIs is written.
    case 'finess-other': return under(FINESS_SYSTEMS);
    case 'sirene-other': return under(SIRENE_SYSTEMS);
    default: return [`${system}|${value}`];
  }
}

function split(key: string): [string, string] {
  const bar = key.indexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1)];
}

/**
 * Who a national identifier (`system|value`) names, as `<kind>:<id>`: a professional is `person:…` (one person per
 * entry, `professionalPerson`), a structure `finess:…`, `siret:…`, `siren:…` … (`organisationStructure`); any other
 * identifier is only itself (`other:<system>|<value>`).
 */
export function nationalHolder(key: string): string {
  const [system, value] = split(key);
  if (PROFESSIONAL_ID_SYSTEMS.includes(system)) return `person:${professionalPerson(system, value)}`;
  return organisationStructure(system, value);
}

/** Every spelling of the holder a national identifier (`system|value`) names; any other identifier is only itself. */
export function nationalSpellings(key: string): string[] {
  const [system, value] = split(key);
  if (PROFESSIONAL_ID_SYSTEMS.includes(system)) return professionalSpellings(system, value);
  return organisationSpellings(system, value);
}

/**
 * True when national identifiers name one holder of each kind: one person for a professional; one FINESS, one SIRET,
 * one SIREN … for a structure (a structure has several identifiers, of different registries, but never two FINESS).
 * Two of one kind name two people or two structures: such an entry names neither, and nothing is matched to it.
 */
export function namesOneHolder(keys: readonly string[]): boolean {
  const byKind = new Map<string, string>();
  for (const holder of keys.map(nationalHolder)) {
    const kind = holder.slice(0, holder.indexOf(':'));
    if (byKind.has(kind) && byKind.get(kind) !== holder) return false;
    byKind.set(kind, holder);
  }
  return true;
}

/**
 * The advisory-lock keys of the holders an entry's national identifiers name (`directory-holder:<type>:<holder>`,
 * sorted: every transaction takes them in one order). Taken by every create of a Practitioner or Organization
 * (`directory-rules.ts`, before its duplicate check) and by the import before its look-up of a new entry is trusted
 * (`../documents/directory-match.ts`, `../documents/submission-directory.ts`), held to commit: an entry created
 * directly while a document's import looked the same person up either is seen by that look-up or waits for the
 * import's commit (and then meets its entry: 409). A conditional create's own lock on its criteria (`findMatches`) is
 * always taken before these, never after: one order, so an import and a submission naming one person cannot deadlock.
 * Per holder, not per spelling or criteria: `IdNat_PS|8<RPPS>` and
 * `RPPS|<RPPS>` are one lock, and an Organization named by its FINESS and its SIRET meets one named by its FINESS only.
 */
export function directoryHolderLocks(type: string, keys: readonly string[]): string[] {
  return [...new Set(keys.map((k) => `directory-holder:${type}:${nationalHolder(k)}`))].sort();
}
