import type { ParamDef } from './registry';

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** One parameter of a search: its values are ORed; several filters are ANDed. */
export interface ParamFilter {
  kind: 'param';
  /** The parameter as written (`patient.identifier`, `code:not`), for messages and self links. */
  name: string;
  def: ParamDef | SpecialParam;
  modifier?: string;
  values: string[];
  /** For a chain `patient.identifier`: the target type and the filter on it. */
  chain?: { targetType: string; filter: ParamFilter };
  /**
   * For a reverse chain `_has:Observation:patient:code`: rows of `sourceType` whose reference parameter `param`
   * points at the searched resource and that match `filter` (FHIR R4 §3.1.1.4.9).
   */
  has?: { sourceType: string; param: string; filter: ParamFilter };
}

/** `_id` and `_lastUpdated`, answered from resource columns. */
export interface SpecialParam {
  code: '_id' | '_lastUpdated';
  type: 'token' | 'date';
}

export interface SortRule {
  code: string;
  def?: ParamDef;
  descending: boolean;
}

export interface IncludeSpec {
  sourceType: string;
  param: string;
  targetType?: string;
  iterate: boolean;
}

/** A parsed FHIR search request. */
export interface SearchRequest {
  resourceType: string;
  filters: ParamFilter[];
  sort: SortRule[];
  count: number;
  cursor?: string;
  total: 'none' | 'estimate' | 'accurate';
  summaryCount: boolean;
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** Parameters ignored (lenient handling), reported in the Bundle's OperationOutcome. */
  warnings: string[];
  /** The accepted parameters, to rebuild self/next/previous links. */
  canonical: [string, string][];
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;
