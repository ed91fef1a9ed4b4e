import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { FhirError, badRequest, outcomeOf, payloadTooLarge } from '../fhir/errors';
import type { Logger } from '../logger';

/** Maps body-parser and other framework errors to the FhirError a client should see. */
function toFhirError(err: unknown): FhirError | undefined {
  if (err instanceof FhirError) return err;
  const e = err as { type?: string; status?: number; limit?: number; message?: string };
  if (e?.type === 'entity.too.large') return payloadTooLarge(`The request body is larger than the limit of ${e.limit} bytes`);
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new FhirError(415, outcomeOf('error', 'not-supported', e.message ?? 'Unsupported encoding'));
  if (e?.type === 'request.aborted') return badRequest('The request was aborted by the client');
  // Text PostgreSQL cannot store (NUL, invalid UTF-8) that got past the request checks: the client's input, not our fault.
  if ((e as { code?: string })?.code === '22P05' || (e as { code?: string })?.code === '22021') return badRequest('The request holds text PostgreSQL cannot store (a NUL character or invalid UTF-8)');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new FhirError(e.status, outcomeOf('error', 'invalid', e.message ?? 'Bad request'));
  return undefined;
}

/**
 * Answers what Node's HTTP parser refuses before Express sees it (headers too large, malformed requests) with an
 * OperationOutcome instead of Node's bare status line.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const [status, reason, text] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'The request headers are larger than this server accepts']
        : [400, 'Bad Request', 'The request is not well-formed HTTP'];
    const body = JSON.stringify(outcomeOf('error', status === 431 ? 'too-costly' : 'invalid', text));
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/fhir+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** Express error middleware: every error becomes an OperationOutcome with the right status. */
export function errorHandler(logger: Logger) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction): void => {
    void next;
    let fhirError = toFhirError(err);
    if (!fhirError) {
      logger.error('unhandled error', { requestId: res.locals.requestId, error: (err as Error)?.stack ?? String(err) });
      fhirError = new FhirError(500, outcomeOf('error', 'exception', `Internal server error (request ${String(res.locals.requestId)})`));
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(fhirError.status);
    for (const [k, v] of Object.entries(fhirError.headers)) res.setHeader(k, v);
    res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
    res.end(JSON.stringify(fhirError.outcome));
  };
}
