import { connect } from 'node:net';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { loadDevKey } from '../../src/auth/dev-key';
import { mintDevToken } from '../../src/auth/mint-token';
import { useFixtureServer } from './access/fixture-server';

// Issue 14, malformed chunked bodies: a bad chunk size line, a chunk longer than declared, control characters in a
// chunk line, a connection half-closed before the last chunk all ended with the socket closed and no answer (our
// clientError listener cut every connection whose request already had a response object, and a body error always
// comes after the headers). HTTP still allows an answer there (nothing of the response is written yet): a demanding
// client reads a 400 OperationOutcome, nothing is written, and the server answers the next request.

const run = useFixtureServer('dmp-chunked-');
let auth: string;
beforeAll(async () => {
  const config = loadAuthConfig({ DEV_AUTH: '1' }, run.dataDir);
  auth = `Bearer ${await mintDevToken(config, await loadDevKey(config), { kind: 'patient', id: 'p1' })}`;
});

/** What the server writes back to `bytes` until it closes the connection (`halfClose`: the client ends its side). */
function exchange(bytes: string, halfClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(Number(new URL(run.server.url).port), '127.0.0.1', () => {
      socket.write(bytes);
      if (halfClose) socket.end();
    });
    const giveUp = setTimeout(() => socket.destroy(), 60_000);
    socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve(text);
    });
    socket.on('error', reject);
  });
}

const observation = JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'chunked' }, subject: { reference: 'Patient/p1' } });
const head = () =>
  `POST /fhir/Observation HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nContent-Type: application/fhir+json\r\nTransfer-Encoding: chunked\r\n\r\n`;
const size = observation.length.toString(16);

/** The status line and the OperationOutcome of one raw answer; fails when there is none. */
function outcomeOf(raw: string): { status: string; code: string } {
  const [statusLine, ...rest] = raw.split('\r\n');
  const [headers, body] = rest.join('\r\n').split('\r\n\r\n');
  expect(headers).toMatch(/content-type: application\/fhir\+json/i);
  const outcome = JSON.parse(body) as { resourceType: string; issue: { severity: string; code: string }[] };
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue[0].severity).toBe('error');
  return { status: statusLine, code: outcome.issue[0].code };
}

async function p1Observations(): Promise<number> {
  const res = await fetch(`${run.server.fhirUrl}/Observation?subject=Patient/p1&_summary=count`, { headers: { Authorization: auth } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { total: number }).total;
}

describe('a chunked request body that is not well-formed', () => {
  it('is stored when well-formed (the control: the same request, chunked correctly)', async () => {
    // The first write of a run compiles the validators: seconds on a loaded machine.
    const before = await p1Observations();
    const raw = await exchange(`${head()}${size}\r\n${observation}\r\n0\r\n\r\n`.replace('Transfer-Encoding', 'Connection: close\r\nTransfer-Encoding'));
    expect(raw).toMatch(/^HTTP\/1\.1 201 /);
    expect(await p1Observations()).toBe(before + 1);
  });

  const malformed: [string, string][] = [
    ['a chunk size line that is not hexadecimal', `zz\r\n${observation}\r\n0\r\n\r\n`],
    ['a chunk longer than its declared size', `2\r\n${observation}\r\n0\r\n\r\n`],
    ['a NUL character in the chunk size line', `${size}\x00\r\n${observation}\r\n0\r\n\r\n`],
    ['a control character in a chunk extension', `${size};x=\x01\r\n${observation}\r\n0\r\n\r\n`],
    ['a chunk not followed by CRLF', `${size}\r\n${observation}XX0\r\n\r\n`],
    ['a trailer line that is not a header', `${size}\r\n${observation}\r\n0\r\nnot a header\r\n\r\n`],
  ];
  it.each(malformed)('answers 400 with an OperationOutcome to %s, writes nothing, and serves the next request', async (_name, body) => {
    const before = await p1Observations();
    expect(outcomeOf(await exchange(head() + body))).toEqual({ status: 'HTTP/1.1 400 Bad Request', code: 'invalid' });
    expect(await p1Observations()).toBe(before);
  });

  it('answers 400 (incomplete) when the client closes its side before the last, empty chunk', async () => {
    const before = await p1Observations();
    expect(outcomeOf(await exchange(`${head()}${size}\r\n${observation}\r\n`, true))).toEqual({ status: 'HTTP/1.1 400 Bad Request', code: 'incomplete' });
    expect(await p1Observations()).toBe(before);
  });

  it('answers 413 to chunk extensions larger than Node reads (its guard against extensions sent forever)', async () => {
    const before = await p1Observations();
    const raw = await exchange(`${head()}${size};x=${'a'.repeat(20 * 1024)}\r\n${observation}\r\n0\r\n\r\n`);
    expect(outcomeOf(raw)).toEqual({ status: 'HTTP/1.1 413 Payload Too Large', code: 'too-costly' });
    expect(await p1Observations()).toBe(before);
  });

  it('answers a pipelined request after the answer of the well-formed one before it', async () => {
    const raw = await exchange(`GET /fhir/metadata HTTP/1.1\r\nHost: localhost\r\nAccept: application/fhir+json\r\n\r\n${head()}zz\r\n{}\r\n0\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    const second = raw.indexOf('HTTP/1.1 400 Bad Request');
    expect(second).toBeGreaterThan(0);
    expect(raw.slice(0, second)).toMatch(/"resourceType":"CapabilityStatement"/);
    expect(outcomeOf(raw.slice(second)).code).toBe('invalid');
  });

  it('leaves the server serving', async () => {
    const res = await fetch(`${run.server.fhirUrl}/metadata`);
    expect(res.status).toBe(200);
    // Read whole: an unread 158 KB body leaves undici's socket paused, holding the Jest worker open after the run.
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');
  });
});
