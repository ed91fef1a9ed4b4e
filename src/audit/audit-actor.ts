import type { Identifier } from '@medplum/fhirtypes';
import type { RequestContext } from '../fhir/context';
import { SYSTEM } from './audit-codes';

/** Identifier system of OAuth client ids (system actors). */
export const CLIENT_ID_SYSTEM = 'urn:dmp-fhir-adapter:client-id';

/** What the audit trail records about the caller: who, in words and identifiers, from which app and token. */
export interface AuditAgentInfo {
  /** Actor kind as set by authentication (patient, practitioner, samu, system …). */
  kind: string;
  /** FHIR reference of the user (e.g. `Practitioner/123`, `Patient/456`), when known. */
  reference?: string;
  /** The user's name in words (e.g. "Dr Marie Curie"). */
  display?: string;
  /** RPPS / IdNat_PS, INS … */
  identifiers: Identifier[];
  organization?: { reference?: string; identifier?: Identifier; display?: string };
  /** OAuth client / software the user acted through. */
  client?: { id: string; display?: string };
  /** Token id (`jti`), recorded in agent.policy as BALP asks. */
  tokenId?: string;
  /** SAMU regulation mode (emergency access without prior authorisation). */
  regulation?: boolean;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Normalises an RPPS number to the IdNat_PS form (8 + RPPS); other IdNat_PS values pass unchanged. */
export function toIdNatPs(value: string): string {
  return /^\d{11}$/.test(value) ? `8${value}` : value;
}

/**
 * Default mapping from the authenticated actor to audit agent data. Reads the access module's actor fields
 * (`keys` with the IdNat_PS, `ins`, `role: 'samu-regulator'`) and the claims SMART / Pro Santé Connect
 * tokens carry (fhirUser, rpps or preferred_username, organization, client_id, jti,
 * Acces_Regulation_Medicale). The access module may pass its own mapping instead.
 */
export function describeActor(ctx: RequestContext): AuditAgentInfo | undefined {
  const actor = ctx.actor;
  if (!actor) return undefined;
  const fields = actor as unknown as Record<string, unknown>;
  const claims = actor.claims ?? {};
  const keys = Array.isArray(fields.keys) ? fields.keys.filter((k): k is string => typeof k === 'string') : [];
  const identifiers: Identifier[] = [];
  const keyedPs = keys.find((k) => k.startsWith(`${SYSTEM.idNatPs}|`))?.slice(SYSTEM.idNatPs.length + 1);
  const rpps = keyedPs ?? str(claims.rpps) ?? str(claims.idNatPs) ?? (actor.kind === 'practitioner' ? str(claims.preferred_username) : undefined);
  if (rpps) identifiers.push({ system: SYSTEM.idNatPs, value: toIdNatPs(rpps) });
  const ins = str(fields.ins) ?? str(claims.ins);
  if (ins) identifiers.push({ system: SYSTEM.insNir, value: ins });
  // A system (feeder, insurer …) is known by its client id: name it, or a refused insurer leaves no name.
  if (actor.kind === 'system' && identifiers.length === 0) identifiers.push({ system: CLIENT_ID_SYSTEM, value: actor.id });

  const org = record(claims.organization);
  const orgId = str(org?.identifier) ?? str(org?.id) ?? str(claims.SubjectOrganizationID) ?? str(claims.organizationId);
  const orgName = str(org?.display) ?? str(org?.name) ?? str(claims.SubjectOrganization) ?? str(claims.organizationName);
  const clientId = str(claims.client_id) ?? str(claims.azp) ?? (actor.kind === 'system' ? actor.id : undefined);
  const category = str(fields.category);
  // A person's fhirUser was checked against his other claims (claims-to-actor, resolve-actor); a system's is its own
  // Organization or Device, never a person it could make the trail name as the agent.
  const fhirUser = str(claims.fhirUser);
  const reference =
    (actor.kind === 'system' ? (fhirUser && /(?:^|\/)(?:Organization|Device)\//.test(fhirUser) ? fhirUser : undefined) : fhirUser) ??
    (actor.kind === 'patient' ? `Patient/${actor.id}` : actor.kind === 'guardian' ? `RelatedPerson/${actor.id}` : keys.find((k) => k.startsWith('Practitioner/')));

  return {
    kind: actor.kind,
    reference,
    display: actor.display ?? str(claims.name) ?? (actor.kind === 'system' ? `${str(claims.client_name) ?? actor.id}${category ? ` (${category})` : ''}` : undefined),
    identifiers,
    organization: orgId || orgName ? { reference: str(org?.reference), identifier: orgId ? { system: SYSTEM.idNatStruct, value: orgId } : undefined, display: orgName } : undefined,
    client: clientId ? { id: clientId, display: str(claims.client_name) } : undefined,
    tokenId: str(claims.jti),
    regulation: fields.role === 'samu-regulator' || claims.Acces_Regulation_Medicale === 'VRAI',
  };
}

/** Stable key of a professional for "first access" notices: the IdNat_PS if any, else the FHIR reference. */
export function professionalKey(agent: AuditAgentInfo): string | undefined {
  const ps = agent.identifiers.find((i) => i.system === SYSTEM.idNatPs)?.value;
  return ps ? `${SYSTEM.idNatPs}|${ps}` : agent.reference?.startsWith('Practitioner') ? agent.reference : undefined;
}
