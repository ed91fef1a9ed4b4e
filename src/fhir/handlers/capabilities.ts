import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../request';
import { searchParams } from '../search-registry';
import { HISTORY_DOCUMENTATION } from './history';
import { includeValues, revIncludeValues, searchableIn } from '../search/include-values';
import { MAX_HAS_DEPTH, MAX_INCLUDES_PER_SEARCH } from '../search/parse';
import { MAX_INCLUDE_ITERATIONS } from '../../store/search-includes';
import type { FhirService, OperationDefinitionEntry } from '../service';

// Keyed by the service's operation list (one per app) and then by base URL.
const cache = new WeakMap<object, Map<string, string>>();


/** A CapabilityStatement operation: invoked as `$name`, defined by the standard canonical or ours. */
function operationEntry(o: OperationDefinitionEntry): { name: string; definition: string; documentation?: string } {
  const name = o.name.replace(/^\$/, '');
  const standard = ['everything', 'validate', 'meta'].includes(name);
  const base = standard ? 'http://hl7.org/fhir/OperationDefinition' : 'https://dmp-fhir-adapter.org/fhir/OperationDefinition';
  return { name, definition: `${base}/${o.resourceType ? `${o.resourceType}-` : ''}${name}`, documentation: o.documentation };
}

/**
 * `Type:param` of a searchable type whose reference parameter can point at `type`: a `_has` on `type` can work, and
 * the first one serves as the example. None: `_has` is not listed for that type.
 */
function reverseChainExample(svc: FhirService, type: string): string | undefined {
  for (const [source, interactions] of [...svc.resourceTypes].sort(([a], [b]) => a.localeCompare(b))) {
    if (!interactions.includes('search-type')) continue;
    for (const p of searchParams(source).values()) {
      if (p.type === 'reference' && p.targets.includes(type)) return `${source}:${p.code}`;
    }
  }
  return undefined;
}

/** The `_has` entry of a type's searchParam list, when some searchable type can point at it (search.ts's reverse chains). */
function hasParam(svc: FhirService, type: string): { name: string; type: 'special'; documentation: string }[] {
  const example = reverseChainExample(svc, type);
  if (!example) return [];
  return [{
    name: '_has',
    type: 'special',
    documentation: `Reverse chaining: _has:<Type>:<referenceParam>:<searchParam>=<value> (e.g. _has:${example}:_id=…), `
      + `nested at most ${MAX_HAS_DEPTH} deep; only resources of <Type> the caller may see count`,
  }];
}

function resourceEntry(svc: FhirService, type: string): CapabilityStatementRestResource {
  const params = [...searchParams(type).values()];
  const interactions = svc.resourceTypes.get(type) ?? [];
  const offers = (code: string) => interactions.includes(code);
  return {
    type: type as CapabilityStatementRestResource['type'],
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    supportedProfile: svc.profiles[type],
    interaction: interactions.map((code) => (code.startsWith('history-') ? { code: code as 'read', documentation: HISTORY_DOCUMENTATION } : { code: code as 'read' })),
    versioning: 'versioned-update',
    readHistory: offers('vread'),
    // What callers really get: PUT under a new client-chosen id is closed when access control closes it (every token
    // actor then gets 403); conditional update still creates, under an id the server draws.
    updateCreate: offers('update') && !svc.hooks.some((h) => h.closesUpdateCreate),
    conditionalCreate: offers('create'),
    conditionalUpdate: offers('update'),
    conditionalDelete: offers('delete') ? 'single' : 'not-supported',
    conditionalRead: offers('read') ? 'modified-since' : 'not-supported',
    referencePolicy: ['literal', 'logical'],
    // R4 has no element for :iterate: the documentation says what the server does with it.
    documentation: `_include and _revinclude take :iterate (R3's :recurse): followed ${MAX_INCLUDE_ITERATIONS} iterations beyond the first `
      + `level, then a warning in the Bundle; at most ${MAX_INCLUDES_PER_SEARCH} per search; only resources the caller may see are `
      + 'included or followed; too many included resources on one page: 422 too-costly (MAX_INCLUDED)',
    // Exactly the values the parser accepts at the first level (include-values.ts): `_include=*` alone is not one.
    searchInclude: includeValues(type),
    searchRevInclude: revIncludeValues(type, svc.resourceTypes.keys(), searchableIn(svc.resourceTypes)),
    searchParam: [
      { name: '_id', type: 'token', documentation: 'Logical id' },
      { name: '_lastUpdated', type: 'date', documentation: 'When the resource version was stored' },
      ...params.map((p) => ({ name: p.code, definition: p.definition.url, type: p.type, documentation: p.definition.description?.split('\n')[0] })),
      ...hasParam(svc, type),
    ],
    operation: svc.operations.filter((o) => o.resourceType === type).map((o) => operationEntry(o)),
  };
}

/** rest.security: CORS, and SMART on FHIR with its `oauth-uris` extension when an authorization server is mounted. */
function securityOf(svc: FhirService, baseUrl: string): NonNullable<CapabilityStatement['rest']>[number]['security'] {
  const security = { cors: true, description: 'Bearer tokens (SMART on FHIR); see /.well-known/smart-configuration' };
  if (!svc.oauthUris) return security;
  const uris = svc.oauthUris(baseUrl);
  return {
    ...security,
    service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
    extension: [{
      url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
      extension: [{ url: 'authorize', valueUri: uris.authorize }, { url: 'token', valueUri: uris.token }, { url: 'revoke', valueUri: uris.revoke }],
    }],
  };
}

/** Builds the CapabilityStatement from what is registered: resource types, search parameters, profiles, operations. */
export function buildCapabilityStatement(svc: FhirService, baseUrl: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    publisher: 'DMP FHIR adapter',
    kind: 'instance',
    software: { name: 'dmp-fhir-adapter', version: '0.1.0' },
    implementation: { description: 'FHIR R4 server for the French Dossier Médical Partagé', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        security: securityOf(svc, baseUrl),
        resource: [...svc.resourceTypes.keys()].sort().map((type) => resourceEntry(svc, type)),
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system', documentation: HISTORY_DOCUMENTATION }],
        operation: svc.operations.filter((o) => o.level === 'system').map((o) => operationEntry(o)),
      },
    ],
  };
}

/** GET /metadata — generated once per base URL, then served from memory. */
export async function capabilitiesHandler(svc: FhirService, req: FhirRequest): Promise<FhirResponse> {
  let byBase = cache.get(svc.operations);
  if (!byBase) cache.set(svc.operations, (byBase = new Map()));
  let json = byBase.get(req.baseUrl);
  if (!json) {
    json = JSON.stringify(buildCapabilityStatement(svc, req.baseUrl));
    byBase.set(req.baseUrl, json);
  }
  return { status: 200, json };
}
