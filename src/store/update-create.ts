import type { RequestContext } from '../kernel/request-context';
import { forbidden } from '../kernel/errors';

/**
 * Update-as-create: creating `type/id` under an id the caller named. Closed contexts (`ctx.updateCreate === false`,
 * every token actor) may not choose ids: a free id and one taken by a row hidden from them get the same 403, so a
 * write cannot tell hidden from missing (issue 11, attack 9). An id the server drew is always fine; an id taken by a
 * hidden row is refused in any context (the insert would collide), with the same answer.
 */
export function assertMayCreateById(ctx: RequestContext, type: string, id: string, how: 'chosen' | 'drawn' | 'taken'): void {
  if (how === 'drawn' || (how === 'chosen' && ctx.updateCreate !== false)) return;
  throw forbidden(`${type}/${id} cannot be created by an update: create it with POST, the server assigns its id`);
}
