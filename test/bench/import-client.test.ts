import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { importAll } from '../../bench/import-client';

/** A server that answers 201 to every body but the one equal to `refused`, which gets 422 and an OperationOutcome. */
function fakeServer(refused: string): Promise<{ server: Server; url: string; received: () => number }> {
  let received = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received++;
      if (Buffer.concat(chunks).toString() === refused) {
        res.writeHead(422, { 'Content-Type': 'application/fhir+json' }).end('{"resourceType":"OperationOutcome","issue":[{"diagnostics":"birthName: document X, record Y"}]}');
      } else res.writeHead(201).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received: () => received })));
}

describe('bench:import client', () => {
  let fake: Awaited<ReturnType<typeof fakeServer>>;
  beforeEach(async () => {
    fake = await fakeServer('doc-3');
  });
  afterEach(() => new Promise<void>((resolve) => fake.server.close(() => resolve())));

  it('measures when every document answers 201', async () => {
    const docs = ['doc-0', 'doc-1', 'doc-2'].map((d) => Buffer.from(d));
    const { seconds } = await importAll(fake.url, docs, 2);
    expect(seconds).toBeGreaterThan(0);
    expect(fake.received()).toBe(3);
  });

  it('fails with the status and the server\'s explanation at the first answer that is not 201, and sends no more', async () => {
    const docs = Array.from({ length: 50 }, (_, n) => Buffer.from(`doc-${n}`));
    await expect(importAll(fake.url, docs, 2)).rejects.toThrow(/document 3 of 50 answered HTTP 422, not 201: .*birthName: document X, record Y/);
    expect(fake.received()).toBeLessThan(10);
  });
});
