import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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

/** A response of Node's HTTP server as the socket knows it: the answer in flight on a keep-alive connection. */
type InFlight = ServerResponse & { req?: IncomingMessage };

/** Status line, OperationOutcome code and text of what Node's parser refused or timed out. */
function refusalOf(code: string | undefined): [number, string, Parameters<typeof outcomeOf>[1], string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'Request Header Fields Too Large', 'too-costly', 'The request headers are larger than this server accepts'];
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return [413, 'Payload Too Large', 'too-costly', 'The chunk extensions of the request body are larger than this server accepts'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request Timeout', 'timeout', 'The request did not arrive whole within the time this server allows (REQUEST_TIMEOUT_MS): send it again, faster'];
  if (code === 'HPE_INVALID_EOF_STATE') return [400, 'Bad Request', 'incomplete', 'The connection was closed before the request arrived whole (a chunked body needs its last, empty chunk)'];
  return [400, 'Bad Request', 'invalid', 'The request is not well-formed HTTP (request line, headers or chunked body)'];
}

/** Writes the refusal of `code` on the socket and closes the connection once it is written. */
function answerAndClose(socket: Duplex, code: string | undefined): void {
  const [status, reason, issueCode, text] = refusalOf(code);
  const body = JSON.stringify(outcomeOf('error', issueCode, text));
  // Ended then destroyed once written: a client still trickling its body must not keep the connection open.
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/fhir+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/**
 * Answers what Node's HTTP parser refuses (headers too large, a malformed request line or header, a chunked body that is
 * not well-formed: a bad chunk size line, a chunk longer than declared, control characters, the connection half-closed
 * before the last chunk) and a request that did not arrive whole in time (REQUEST_TIMEOUT_MS: a body trickled byte by
 * byte) with an OperationOutcome, instead of Node's bare status line or of nothing at all.
 *
 * A body error comes while its request already has a response object, the app waiting for the body. In front of the FHIR
 * API `express.raw` reads every body whole before any handler runs (the auth and portal forms read theirs the same
 * way), so no FHIR interaction has acted on a body that is not well-formed, and the 400 says the truth. As Node does, an answer is
 * written only while nothing of the response is (its headers not sent); else the connection is cut, since bytes after a
 * started answer would corrupt it for the client. A pipelined request refused while the answer of an earlier, complete
 * one is still being prepared is answered after it, so that each answer still matches its request. Socket errors (a
 * reset, a broken pipe) are not answered: nobody reads them.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: InFlight | null })._httpMessage ?? undefined;
    const answerable = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || (err.code ?? '').startsWith('HPE_');
    if (!answerable || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    if (inFlight?.req?.complete && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      // The refused bytes belong to a later request: the earlier one is answered first, then the refusal.
      inFlight.once('finish', () => (socket.writable ? answerAndClose(socket, err.code) : socket.destroy()));
      return;
    }
    answerAndClose(socket, err.code);
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
