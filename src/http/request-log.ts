import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger';

/**
 * Gives each request an id (honouring a sane incoming X-Request-Id) and logs one JSON line when it ends:
 * id, method, path without the query string (it may carry patient identifiers), status, duration, actor.
 */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && /^[A-Za-z0-9\-_.]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // The line is written at `http` level, below production's default (`info`): winston would build it and drop it
    // in its stream (a few µs and a listener per request), so it is not built at all then.
    if (!logger.isLevelEnabled('http')) return next();
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      logger.http('request', {
        requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        actor: res.locals.actor,
      });
    });
    next();
  };
}
