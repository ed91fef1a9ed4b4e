import { createHash, createHmac } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import { CHAIN_EXTENSION_URL } from './audit-codes';

/** The link of an event in its chain: the hash of the event before it and its position. */
export interface ChainLink {
  previous: string;
  sequence: number;
}

/**
 * Hash of an event's stored JSON text (which embeds the previous hash, so each hash covers the whole
 * chain before it). With a secret the hash is an HMAC: whoever can write to the database but does not
 * hold the key cannot recompute a consistent chain after editing a row.
 */
export function hashText(text: string, secret?: string): string {
  return (secret ? createHmac('sha256', secret) : createHash('sha256')).update(text, 'utf8').digest('hex');
}

/** Returns the event with its chain link extension (replacing any previous one). */
export function withChainLink(event: AuditEvent, link: ChainLink): AuditEvent {
  const others = (event.extension ?? []).filter((e) => e.url !== CHAIN_EXTENSION_URL);
  return {
    ...event,
    extension: [
      ...others,
      {
        url: CHAIN_EXTENSION_URL,
        extension: [
          { url: 'previousHash', valueString: link.previous },
          { url: 'sequence', valueInteger: link.sequence },
        ],
      },
    ],
  };
}

/** Reads the chain link extension of a stored event, if present and well-formed. */
export function readChainLink(event: AuditEvent): ChainLink | undefined {
  const ext = event.extension?.find((e) => e.url === CHAIN_EXTENSION_URL);
  const previous = ext?.extension?.find((e) => e.url === 'previousHash')?.valueString;
  const sequence = ext?.extension?.find((e) => e.url === 'sequence')?.valueInteger;
  return previous !== undefined && sequence !== undefined ? { previous, sequence } : undefined;
}

/** The event without its chain link extension (other extensions kept; `extension` dropped when it empties). */
export function withoutChainLink(event: AuditEvent): AuditEvent {
  if (!event.extension?.some((e) => e.url === CHAIN_EXTENSION_URL)) return event;
  const others = event.extension.filter((e) => e.url !== CHAIN_EXTENSION_URL);
  const { extension: _dropped, ...rest } = event;
  return others.length ? { ...rest, extension: others } : rest;
}
