import { createServer, type RequestListener, type Server } from 'node:http';
import { outcomeOf } from '../fhir/errors';
import { answerClientErrors } from './errors';

/** Limits of the HTTP server on slow clients (REQUEST_TIMEOUT_MS, `src/config.ts`). */
export interface HttpServerOptions {
  /** Longest time a request may take to arrive whole, headers and body, ms (Node's `requestTimeout`). */
  requestTimeoutMs?: number;
}

/** Node's own default `requestTimeout` (300 s): what a server built without options keeps. */
const NODE_REQUEST_TIMEOUT_MS = 300_000;
/** Node's default for the headers alone: a legitimate client sends its headers at once. */
const HEADERS_TIMEOUT_MS = 60_000;

/**
 * The HTTP server in front of the app. Node refuses an HTTP/1.1 request without a `Host` header itself, with a bare
 * `400` and no body (`requireHostHeader`), before any of our code runs: a client then reads no OperationOutcome. The
 * check is ours instead, for every version (the FHIR base URL of an answer is built from `Host` when `BASE_URL` is
 * unset), and what Node's parser refuses is answered by `answerClientErrors`.
 *
 * A request that has not arrived whole within `requestTimeoutMs` (a body trickled one byte at a time holds a connection
 * and a pooled request slot) is answered 408 by `answerClientErrors` and its connection closed. Its headers must arrive
 * within `HEADERS_TIMEOUT_MS`, never more than the whole request (Node requires headersTimeout ≤ requestTimeout). Node
 * checks both on a timer (`connectionsCheckingInterval`, 30 s by default): it runs at least four times per timeout here,
 * so that a short timeout is kept within a quarter of itself.
 */
export function createHttpServer(app: RequestListener, options: HttpServerOptions = {}): Server {
  const requestTimeout = options.requestTimeoutMs ?? NODE_REQUEST_TIMEOUT_MS;
  const server = createServer({
    requireHostHeader: false,
    requestTimeout,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(requestTimeout / 4))),
  }, (req, res) => {
    if (req.headers.host === undefined || req.headers.host === '') {
      const body = JSON.stringify(outcomeOf('error', 'invalid', 'The request carries no Host header (required by HTTP/1.1, RFC 9112 §3.2)'));
      res.writeHead(400, { 'Content-Type': 'application/fhir+json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
      res.end(body);
      return;
    }
    app(req, res);
  });
  answerClientErrors(server);
  return server;
}
