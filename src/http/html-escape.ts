const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). One of them in a name reorders the rest of the
 * line it is shown in ("Dr X a consulté …" read backwards, a name read as another). Writes refuse them in names and
 * titles (validation/displayed-text.ts); values stored before that rule, and free text, are shown without them.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Escapes text for HTML content and quoted attributes: the one escaper of every page this server renders. */
export function escapeHtml(value: string): string {
  return value.replace(BIDI_CONTROLS, '').replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
