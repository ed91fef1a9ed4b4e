import type { FhirRequest } from '../fhir/request';
import type { SystemRepository } from '../system/system-repository';
import type { AuditEventInput } from './audit-event-builder';
import type { AuditWriter, StoredAuditEvent } from './audit-writer';
import { deniedRequestPatients, MAX_LOOKUPS, patientsByIdentifiers, storedCompartment } from './denied-patients';
import type { PatientIdentifier } from './query-patients';
import { hiddenNamedResources } from './hidden-entities';

// What the audit hooks do to the database outside a request's own transaction, bound by the audit wiring to the system
// repository: the read group commit's flush (events stored in their own transaction) and the look-ups filing a refused
// request in the trail of the patients it names (done for a caller who may read none of them). The hooks hold this
// store, never a connection: they cannot import the system repository (test/unit/architecture/system-repository.test.ts).

/** The audit trail's system-side work, on the system repository (a class with private members: a raw Db is not one). */
export class AuditSystemStore {
  constructor(private readonly system: SystemRepository) {}

  /** Stores the events durably in their own transaction (the read group commit's flush). */
  append(writer: AuditWriter, inputs: AuditEventInput[]): Promise<StoredAuditEvent[]> {
    return writer.append(this.system, inputs);
  }

  /** The patients a refused request names (path, search parameters, body), bounded (`denied-patients.ts`). */
  deniedRequestPatients(request: FhirRequest, options: { query?: string; authenticated: boolean }): Promise<string[]> {
    return deniedRequestPatients(this.system, request, options);
  }

  /** The records carrying the identifiers a search names (at most MAX_LOOKUPS look-ups), whoever may read them. */
  patientsByIdentifiers(tokens: PatientIdentifier[]): Promise<string[]> {
    return patientsByIdentifiers(this.system, tokens, { lookups: MAX_LOOKUPS });
  }

  /** Of these `Type/id`, those a document carrying one of `codes` governs (what a trail reader is not shown of an event). */
  hiddenNamedResources(refs: string[], codes: string[]): Promise<Set<string>> {
    return hiddenNamedResources(this.system, refs, codes);
  }

  /** The Patient compartment of a stored resource, whoever may read it, or null. */
  storedCompartment(type: string | undefined, id: string | undefined): Promise<string | null> {
    return storedCompartment(this.system, type, id);
  }
}
