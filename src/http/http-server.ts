import { createServer, type RequestListener, type Server } from 'node:http';
import { outcomeOf } from '../fhir/errors';
import { answerClientErrors } from './errors';

/**
 * The HTTP server in front of the app. Node refuses an HTTP/1.1 request without a `Host` header itself, with a bare
 * `400` and no body (`requireHostHeader`), before any of our code runs: a client then reads no OperationOutcome. The
 * check is ours instead, for every version (the FHIR base URL of an answer is built from `Host` when `BASE_URL` is
 * unset), and what Node's parser refuses is answered by `answerClientErrors`.
 */
export function createHttpServer(app: RequestListener): Server {
  const server = createServer({ requireHostHeader: false }, (req, res) => {
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
