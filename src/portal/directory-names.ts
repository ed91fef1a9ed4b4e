import type { Organization, Practitioner, PractitionerRole, Reference, Resource } from '@medplum/fhirtypes';
import { conceptText, personName } from './display';
import type { PortalFhir } from './fhir-client';
import { isDeclaredEntry } from '../access/declared-entries';

/** Said after the name of a directory entry a sender declared, when the document in hand gives it no name of its own. */
export const DECLARED_NAME = '(nom déclaré par un émetteur, non vérifié)';

/** A directory entry's name as a page shows it: a declared entry's marked as such (`../access/declared-entries.ts`). */
function entryName(name: string, resource: Resource): string {
  return isDeclaredEntry(resource) ? `${name} ${DECLARED_NAME}` : name;
}

/** How a professional is named to the patient: "Marie Curie — Médecin généraliste (Cabinet du Parc)". */
export interface NamedProfessional {
  name: string;
  profession?: string;
  organization?: string;
  /** The entry's name is a sender's declaration (`isDeclaredEntry`): the document's own name for it comes first. */
  declared?: boolean;
}

export function professionalText(p: NamedProfessional): string {
  const where = p.organization ? ` (${p.organization})` : '';
  return p.profession ? `${p.name} — ${p.profession}${where}` : `${p.name}${where}`;
}

/** A reference's lookup key: `Practitioner/id` or `system|value`. */
export function referenceKey(r: Reference | undefined): string | undefined {
  if (r?.reference) return r.reference.replace(/\/_history\/.*$/, '');
  if (r?.identifier?.system && r.identifier.value) return `${r.identifier.system}|${r.identifier.value}`;
  return undefined;
}

/**
 * Names the professionals and organisations a page shows, from the directory (read with the patient's token, as
 * the directory is readable by patients). Bounded: at most `limit` distinct look-ups per page; the rest keep the
 * name the record carries.
 */
export class DirectoryNames {
  private readonly cache = new Map<string, Promise<NamedProfessional | undefined>>();

  constructor(
    private readonly fhir: PortalFhir,
    private readonly limit = 30,
  ) {}

  /** The professional a reference names; `#id` references are read from `holder`'s contained resources. */
  async name(r: Reference | undefined, holder?: { contained?: Resource[] }): Promise<NamedProfessional | undefined> {
    if (r?.reference?.startsWith('#')) return this.contained(r.reference.slice(1), holder);
    const key = referenceKey(r);
    if (!key) return r?.display ? { name: r.display } : undefined;
    let found = this.cache.get(key);
    if (!found) {
      if (this.cache.size >= this.limit) return r?.display ? { name: r.display } : undefined;
      found = this.lookup(key).catch(() => undefined);
      this.cache.set(key, found);
    }
    const named = await found;
    // A declared entry's name is its first sender's: the document in hand names it in its own words, when it does.
    if (named?.declared && r?.display) return { ...named, name: r.display };
    return named ?? (r?.display ? { name: r.display } : undefined);
  }

  /**
   * A contained author (how CDA imports record the author as the document states him): a PractitionerRole with its
   * practitioner and organisation contained too, or a Practitioner; named from the directory when it carries a
   * national identifier, else from what the document says.
   */
  private async contained(id: string, holder: { contained?: Resource[] } | undefined): Promise<NamedProfessional | undefined> {
    const found = holder?.contained?.find((c: Resource) => c.id === id);
    if (!found) return undefined;
    if (found.resourceType === 'Practitioner') return { name: personName(found.name) || 'Professionnel de santé' };
    if (found.resourceType !== 'PractitionerRole') return undefined;
    // The role says as what and where; the person is a directory entry (created from the document by the import).
    const person = found.practitioner ? await this.name(found.practitioner) : undefined;
    const org = found.organization ? await this.name(found.organization) : undefined;
    if (!person && !org) return undefined;
    return {
      name: person?.name ?? org?.name ?? 'Professionnel de santé',
      profession: conceptText(found.code) || conceptText(found.specialty) || person?.profession,
      organization: person ? (org?.name ?? person.organization) : undefined,
    };
  }

  private async lookup(key: string): Promise<NamedProfessional | undefined> {
    const [type, id] = key.split('/');
    if (type === 'Organization' && id) {
      const org = await this.fhir.read<Organization>('Organization', id);
      return { name: entryName(org.name ?? 'Établissement', org), declared: isDeclaredEntry(org) };
    }
    let practitioner: Practitioner | undefined;
    if (type === 'Practitioner' && id) practitioner = await this.fhir.read<Practitioner>('Practitioner', id);
    else if (key.includes('|')) practitioner = (await this.fhir.search<Practitioner>('Practitioner', { identifier: key, _count: '1' })).resources[0];
    if (!practitioner?.id) return undefined;
    const roles = await this.fhir.search<PractitionerRole>('PractitionerRole', { practitioner: `Practitioner/${practitioner.id}`, _include: 'PractitionerRole:organization', _count: '5' });
    const role = roles.resources[0];
    const org = roles.included.find((r): r is Organization => r.resourceType === 'Organization');
    return {
      name: entryName(personName(practitioner.name) || 'Professionnel de santé', practitioner),
      profession: conceptText(role?.code) || conceptText(role?.specialty) || conceptText(practitioner.qualification?.[0]?.code) || undefined,
      organization: org?.name && entryName(org.name, org),
      declared: isDeclaredEntry(practitioner),
    };
  }
}
