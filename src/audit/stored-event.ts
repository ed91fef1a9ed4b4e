import type { AuditEvent } from '@medplum/fhirtypes';
import { registerColumnParam, registerIndexRowsInRow } from '../fhir/search/column-params';
import { restrictSearchParams } from '../fhir/search-registry';
import { registerStoredTextRenderer } from '../store/stored-text';
import { AUDIT_SEARCH_PARAMS } from './audit-index';
import { buildAuditEvent, type AuditEventInput } from './audit-event-builder';
import { readChainLink, withChainLink, withoutChainLink, type ChainLink } from './hash-chain';

/**
 * An AuditEvent is stored as what it records (the builder's input) and its chain link, not as the BALP JSON
 * served: that JSON repeats fixed codings and displays for every agent and entity, 3–6 KB per event where
 * the input takes 0.4–1.2 KB, and every audited read wrote it (escaped into the statement, parsed, compressed
 * and logged by PostgreSQL). The chain hash covers this stored text; the JSON is built when an event is read.
 * The mark is the text's first key, so a prefix test tells this form from a full resource.
 */
const MARK = '{"compactAuditEvent":1,';

interface CompactEvent {
  link: ChainLink;
  input: Omit<AuditEventInput, 'recorded'> & { recorded: string };
}

/** The stored text of an event: its input (the Date as ISO text) and its chain link. */
export function compactEventText(input: AuditEventInput, link: ChainLink): string {
  return `${MARK}"link":${JSON.stringify(link)},"input":${JSON.stringify(input)}}`;
}

/** The served AuditEvent of an input, with its id, meta and chain link extension. */
export function renderAuditEvent(id: string, input: AuditEventInput, link: ChainLink): AuditEvent {
  return withChainLink({ ...buildAuditEvent(input), id, meta: { versionId: '1', lastUpdated: input.recorded.toISOString() } }, link);
}

/**
 * An event as stored, whichever the form (full JSON rows come from before the compact form, or from other
 * writers): the AuditEvent it serves and its chain link. Throws SyntaxError on text that is not JSON.
 */
export function readStoredEvent(id: string, text: string): { event: AuditEvent; link: ChainLink | undefined } {
  if (!text.startsWith(MARK)) {
    const event = JSON.parse(text) as AuditEvent;
    return { event, link: readChainLink(event) };
  }
  const stored = JSON.parse(text) as CompactEvent;
  const input = { ...stored.input, recorded: new Date(stored.input.recorded) };
  return { event: renderAuditEvent(id, input, stored.link), link: stored.link };
}

/**
 * The AuditEvent a reader is served: without its chain link. A trail is one chain per record, and some of its events
 * are hidden from the reader (a professional's access to a document flagged INVISIBLE_PATIENT, hidden from the
 * patient): the link's sequence numbers and previous hashes showed him their gaps, i.e. that hidden accesses
 * happened and how many (issue 11 "hidden means absent": the trail as shown to the hidden party). The chain stays in
 * the stored text, which its hash covers, and `AuditEvent/$verify` checks it for him.
 */
function servedEvent(id: string, text: string): AuditEvent {
  return withoutChainLink(readStoredEvent(id, text).event);
}

/**
 * Teaches the store how AuditEvents are kept (idempotent): served as FHIR JSON from their stored form, and
 * searched by `date` and `patient` on the row's own columns (the writer stores no index rows for them), and by its
 * other parameters on the index rows kept in the row itself.
 */
export function registerAuditEventStorage(): void {
  registerStoredTextRenderer('AuditEvent', (id, text) => JSON.stringify(servedEvent(id, text)));
  registerColumnParam('AuditEvent', 'date', 'last_updated');
  registerColumnParam('AuditEvent', 'patient', 'compartment');
  // `action`, `purpose`, `agent`: in the event's own row (migration 153), not in the index tables.
  registerIndexRowsInRow('AuditEvent');
  // The trail's parameters are the only ones with rows: no other is offered, included or advertised.
  restrictSearchParams('AuditEvent', AUDIT_SEARCH_PARAMS);
}
