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
 * Answers what Node's HTTP parser refuses before Express sees it (headers too large, malformed requests) and a request
 * that did not arrive whole in time (REQUEST_TIMEOUT_MS: a body trickled byte by byte) with an OperationOutcome instead
 * of Node's bare status line, or instead of nothing: a request timed out mid-body already has its response object, and
 * Node answers 408 only when no listener takes `clientError`. As Node does, an answer is written only while nothing of
 * the response is (its headers not sent: the app is still waiting for the body); else the connection is cut, since
 * bytes after a started answer would corrupt it for the client.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (!socket.writable || (inFlight && (!timedOut || inFlight.headersSent))) {
      socket.destroy();
      return;
    }
    const [status, reason, code, text]: [number, string, Parameters<typeof outcomeOf>[1], string] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'too-costly', 'The request headers are larger than this server accepts']
        : timedOut
          ? [408, 'Request Timeout', 'timeout', 'The request did not arrive whole within the time this server allows (REQUEST_TIMEOUT_MS): send it again, faster']
          : [400, 'Bad Request', 'invalid', 'The request is not well-formed HTTP'];
    const body = JSON.stringify(outcomeOf('error', code, text));
    // Ended then destroyed once written: a client still trickling its body must not keep the connection open.
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/fhir+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      () => socket.destroy(),
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
