import { Agent, request } from 'node:http';

interface Answer { status: number; body: string }

/**
 * One import request on a kept-alive connection. node:http rather than fetch: the client shares the machine with
 * the server, and fetch spent about 2 ms of CPU per 50 KB request, a tenth of what the server spends on it.
 */
function post(url: string, body: Buffer, agent: Agent, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Type': 'application/hl7-cda+xml', 'Content-Length': body.length, Prefer: 'return=minimal' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Posts every document to `url`, `concurrency` in flight, and stops at the first answer other than 201: a rate of refusals
 * (the whole corpus once answered 422 while the bench printed ~60 documents/s) is not an import rate.
 */
export async function importAll(url: string, docs: Buffer[], concurrency: number, headers: Record<string, string> = {}): Promise<{ seconds: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let refused: Error | undefined;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < docs.length && !refused) {
      const n = next++;
      const answer = await post(url, docs[n], agent, headers);
      if (answer.status !== 201) refused ??= new Error(`document ${n} of ${docs.length} answered HTTP ${answer.status}, not 201: ${answer.body.slice(0, 2000)}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  if (refused) throw refused;
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
