import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { createHttpServer } from '../../src/http/http-server';

// Issue 14, slow request bodies: with Node's defaults a body sent one byte per second held a connection for 300 s and
// then lost it with no answer (the clientError listener cut every connection that had a response object). A request
// that has not arrived whole within REQUEST_TIMEOUT_MS is answered 408 with an OperationOutcome and closed.

/** A throw-away app that reads the whole body before answering, as the body parsers do. */
function bodyReader(req: IncomingMessage, res: ServerResponse): void {
  let size = 0;
  req.on('data', (c: Buffer) => (size += c.length));
  req.on('end', () => {
    res.writeHead(201, { 'Content-Type': 'text/plain' });
    res.end(`received ${size}`);
  });
}

let server: Server;
let port: number;
beforeAll(async () => {
  server = createHttpServer(bodyReader, { requestTimeoutMs: 1000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/**
 * Sends a POST declaring `length` bytes, then one byte every `everyMs` (at most `length` of them); gives back what the
 * server wrote, when it closed the connection (ms after the headers) or after `giveUpMs`, and whether it closed it.
 */
function trickle(o: { length: number; everyMs: number; giveUpMs: number }): Promise<{ text: string; closed: boolean; afterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let text = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST /fhir/Binary HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: ${o.length}\r\n\r\n`);
      timer = setInterval(() => {
        if (sent < o.length && !socket.destroyed) {
          socket.write('a');
          sent += 1;
        }
      }, o.everyMs);
    });
    const finish = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ text, closed, afterMs: Date.now() - started });
    };
    const giveUp = setTimeout(() => finish(false), o.giveUpMs);
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.on('close', () => finish(true));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
  });
}

describe('a request body trickled slower than REQUEST_TIMEOUT_MS', () => {
  it('is answered 408 with an OperationOutcome, and its connection closed, soon after the timeout', async () => {
    // 100 bytes at one per 200 ms would take 20 s; the timeout is 1 s (checked every 250 ms).
    const { text, closed, afterMs } = await trickle({ length: 100, everyMs: 200, giveUpMs: 6000 });
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 408 /);
    expect(head).toMatch(/content-type: application\/fhir\+json/i);
    expect(JSON.parse(body)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] });
    expect(closed).toBe(true);
    expect(afterMs).toBeGreaterThanOrEqual(1000);
    expect(afterMs).toBeLessThan(3000);
  });

  it('lets a slow body that arrives whole within the timeout through', async () => {
    const { text } = await trickle({ length: 3, everyMs: 100, giveUpMs: 1500 });
    expect(text).toMatch(/^HTTP\/1\.1 201 /);
    expect(text).toMatch(/\r\nreceived 3\r\n/);
  });
});
