import type { Binary } from '@medplum/fhirtypes';
import { createHash } from 'node:crypto';
import { at, attr, childrenNamed, textOf } from '../cda-node';
import type { EntryLocation, MappingContext } from '../mapping-context';
import type { XmlNode } from '../xml-tree';
import type { EntryMapper } from './entry-mapper';

/**
 * Adds an embedded payload (level-1 nonXMLBody, observationMedia) as a Binary entry and as an extra
 * DocumentReference.content attachment pointing at it. Returns the Binary's fullUrl.
 */
export function addEmbeddedPayload(ctx: MappingContext, payload: Buffer, options: { contentType: string; key: string; title?: string; format?: string }): string {
  const binary: Binary = {
    resourceType: 'Binary',
    contentType: options.contentType,
    securityContext: { reference: ctx.documentUrl },
    data: payload.toString('base64'),
  };
  const fullUrl = ctx.builder.add(binary, ctx.builder.urnFor(`binary:${options.key}`));
  const attachment = {
    contentType: options.contentType,
    url: fullUrl,
    size: payload.length,
    hash: createHash('sha1').update(payload).digest('base64'),
    ...(options.title ? { title: options.title } : {}),
  };
  ctx.attachments.push({ attachment, format: options.format });
  return fullUrl;
}

/** observationMedia with a base64 value (the PDF copy of a report, an image) → Binary + attachment. */
export const mediaMapper: EntryMapper = {
  name: 'media',
  matches: (_ids, node) => node.name === 'observationMedia',
  map(statement, location, ctx) {
    const value = at(statement, 'value');
    if (!value?.payload) {
      ctx.warnings.push(`observationMedia at ${location.path} has no base64 payload; kept only in the original document`);
      return;
    }
    addEmbeddedPayload(ctx, value.payload, {
      contentType: attr(value, 'mediaType') ?? 'application/octet-stream',
      key: location.path,
      title: textOf(at(location.section, 'title')),
    });
  },
};


/**
 * The observationMedia a mapped statement carries in its entryRelationships (an advance directive's scanned PDF,
 * a procedure's report): the walker does not open a statement a mapper took, so its mapper extracts them here.
 */
export function mapEmbeddedMedia(statement: XmlNode, location: EntryLocation, ctx: MappingContext): void {
  childrenNamed(statement, 'entryRelationship').forEach((relation, i) => {
    const media = at(relation, 'observationMedia');
    if (media) mediaMapper.map(media, { ...location, path: `${location.path}.r${i + 1}` }, ctx);
  });
}
