import type { Interaction } from '../fhir/context';
import type { ScopeConstraint } from './scope-constraints';

/** How a professional reaches a record: ordinary care, SAMU regulation, or break-glass. */
export type ProfessionalMode = 'treat' | 'samu' | 'btg';

/** DMP visibility codes (TRE_A07) as stored in `resource.security`. */
export const MASKED_FROM_PROFESSIONALS = 'MASQUE_PS';
export const INVISIBLE_TO_PATIENT = 'INVISIBLE_PATIENT';
export const INVISIBLE_TO_GUARDIANS = 'INVISIBLE_REPRESENTANTS_LEGAUX';

/** Types never shown through consent-governed professional access (the patient's own settings and trail). */
export const PATIENT_ONLY_TYPES = ['Consent', 'AuditEvent'];

/**
 * What an actor may do for one interaction, before any data is touched. `deny` carries the status to answer
 * (403 forbidden interaction, 400 malformed request such as break-glass without a reason). `allow` lists the
 * row grants the SQL compiler ORs together; a grant that is absent grants nothing (fail closed).
 */
export type AccessPlan =
  | { effect: 'deny'; status: 400 | 403; reason: string }
  | {
      effect: 'allow';
      interaction: Interaction;
      resourceType?: string;
      /** Instant against which consent periods are evaluated (ISO 8601). */
      at: string;
      /** Types the token's scopes let the actor read (undefined = all): bounds `_include`d rows too. */
      readableTypes?: string[];
      /**
       * Types readable only where a SMART v2 constrained scope's query holds (ORed per type), beside
       * `readableTypes`; bounds `_include`d rows, chain hops and `$everything` the same way.
       */
      constrainedTypes?: Record<string, ScopeConstraint[]>;
      /** Rows without a compartment (Practitioner, Organization directory entries). */
      directory: boolean;
      /** Compartments the actor owns (patient, or guardian acting as the patient) minus rows with hidden codes. */
      own?: { patientIds: string[]; hiddenCodes: string[] };
      /** Consent-governed access of a professional named by these keys. */
      professional?: { keys: string[]; mode: ProfessionalMode };
      /** A feeding system: writes into records that are not closed (and open, unless Assurance Maladie). */
      feed?: { requireOpen: boolean };
    };

export type AllowPlan = Extract<AccessPlan, { effect: 'allow' }>;
