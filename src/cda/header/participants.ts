import type { Identifier, Organization, Practitioner, PractitionerRole, Reference } from '@medplum/fhirtypes';
import { queryValue, type BundleBuilder } from '../bundle-builder';
import { all, at, childrenNamed } from '../cda-node';
import { IDNAT_PS_OID, IDNAT_STRUCT_OID, INS_OIDS } from '../code-systems';
import { toAddress, toCodeableConcept, toContactPoint, toHumanNames, toIdentifier } from '../datatypes';
import type { XmlNode } from '../xml-tree';

/** Identifiers of an entity, national ids (IdNat_PS / IdNat_Struct) first; root-only ids are ignored. */
function identifiersOf(entity: XmlNode | undefined, nationalOid: string): Identifier[] {
  const ids = childrenNamed(entity, 'id')
    .map((id) => toIdentifier(id))
    .filter((id): id is Identifier => !!id && id.system !== 'urn:ietf:rfc:3986');
  const national = `urn:oid:${nationalOid}`;
  return [...ids.filter((i) => i.system === national), ...ids.filter((i) => i.system !== national)];
}

/**
 * The conditional-create search of an identified resource, by its first identifier: the mapper's key (one entry per
 * person or organisation in the Bundle). The import replaces it by its own look-up, on every spelling of every national
 * identifier, done by the system (`../../documents/directory-match.ts`): the mapper knows no directory.
 */
function ifNoneExistOf(identifier: Identifier): string {
  return `identifier=${queryValue(identifier.system ?? '')}|${queryValue(identifier.value ?? '')}`;
}

/**
 * assignedAuthor / assignedEntity → Practitioner, found or created by its national identifiers (at import).
 * Returns undefined for a person without identifier (a device, or a nullFlavor id): nothing to match on.
 */
export function addPractitioner(builder: BundleBuilder, assigned: XmlNode | undefined): Reference<Practitioner> | undefined {
  const person = at(assigned, 'assignedPerson') ?? at(assigned, 'associatedPerson');
  const identifiers = identifiersOf(assigned, IDNAT_PS_OID);
  if (!person || !identifiers.length) return undefined;
  const practitioner: Practitioner = { resourceType: 'Practitioner', identifier: identifiers };
  const names = childrenNamed(person, 'name').flatMap(toHumanNames);
  if (names.length) practitioner.name = names as Practitioner['name'];
  const display = names[0] ? [names[0].given?.join(' '), names[0].family].filter(Boolean).join(' ') : undefined;
  // A person identified by an INS is the patient (VAC: he authenticates his own vaccination record), not a
  // professional: named by identifier, never a directory entry (only national professional ids found those).
  const ins = identifiers.find((i) => INS_OIDS.some((oid) => i.system === `urn:oid:${oid}`));
  if (ins) return display ? { identifier: ins, display } : { identifier: ins };
  const telecom = childrenNamed(assigned, 'telecom').map(toContactPoint).filter((t) => !!t);
  if (telecom.length) practitioner.telecom = telecom as Practitioner['telecom'];
  const reference = builder.addConditional(practitioner, ifNoneExistOf(identifiers[0]));
  return display ? { reference, display } : { reference };
}

/** representedOrganization / custodian organization → Organization, found or created by its national identifiers (at import). */
export function addOrganization(builder: BundleBuilder, org: XmlNode | undefined): Reference<Organization> | undefined {
  const identifiers = identifiersOf(org, IDNAT_STRUCT_OID);
  if (!org || !identifiers.length) return undefined;
  const organization: Organization = { resourceType: 'Organization', identifier: identifiers, active: true };
  const name = childrenNamed(org, 'name').map((n) => n.content.filter((c) => typeof c === 'string').join('').trim())[0];
  if (name) organization.name = name;
  const telecom = childrenNamed(org, 'telecom').map(toContactPoint).filter((t) => !!t);
  if (telecom.length) organization.telecom = telecom as Organization['telecom'];
  const address = childrenNamed(org, 'addr').map(toAddress).filter((a) => !!a);
  if (address.length) organization.address = address as Organization['address'];
  const type = toCodeableConcept(at(org, 'standardIndustryClassCode'));
  if (type) organization.type = [type];
  const reference = builder.addConditional(organization, ifNoneExistOf(identifiers[0]));
  return name ? { reference, display: name } : { reference };
}

/**
 * An author or authenticator as a PractitionerRole (contained in the DocumentReference, as PDSm wants its
 * authors): who (Practitioner entry), where (Organization entry), as what (specialty / function code).
 * A device author gets no practitioner but keeps its organisation and its software name as display.
 */
export function buildRole(builder: BundleBuilder, assigned: XmlNode, id: string, functionCode?: XmlNode): PractitionerRole | undefined {
  const practitioner = addPractitioner(builder, assigned);
  const organization = addOrganization(builder, at(assigned, 'representedOrganization'));
  if (!practitioner && !organization) return undefined;
  const role: PractitionerRole = { resourceType: 'PractitionerRole', id };
  if (practitioner) role.practitioner = practitioner;
  if (organization) role.organization = organization;
  const specialty = toCodeableConcept(at(assigned, 'code'));
  if (specialty) role.specialty = [specialty];
  const fn = toCodeableConcept(functionCode);
  if (fn) role.code = [fn];
  const device = all(assigned, 'assignedAuthoringDevice/softwareName')[0];
  if (!practitioner && device) role.identifier = identifiersOf(assigned, IDNAT_PS_OID);
  return role;
}
