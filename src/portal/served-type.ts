/** The types the portal shows in place (the document page's PDF frame and image); anything else is downloaded. */
export const INLINE_TYPES = ['application/pdf', 'image/png', 'image/jpeg'];

const ESSENCE = /^\s*([a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*)\s*(;[^,]*)?$/i;

/**
 * The Content-Type the portal serves a stored Binary as: the essence of one well-formed media type, lower-cased and
 * without parameters, else `application/octet-stream`. Whoever wrote the Binary chose its type, and browsers read a
 * list such as `image/png,text/html` as its last member (Fetch, "extract a MIME type"): relayed as stored, it would
 * make the portal's own origin render that writer's HTML.
 */
export function servedType(stored: string): string {
  const m = ESSENCE.exec(stored);
  return m ? m[1].toLowerCase() : 'application/octet-stream';
}
