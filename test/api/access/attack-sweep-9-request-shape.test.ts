import { useSweepServer } from './sweep-4';

// Issue 11's outside check, ninth sweep, family "request shape at the HTTP layer", over HTTP on the production
// composition. Rule (DESIGN §3 "Errors are OperationOutcome", helper rules "bad input → clear 4xx, never a partial
// write"; FHIR R4 http.html: bodies are UTF-8): a JSON body declared in another charset is refused with 415, bytes that
// are not UTF-8 with 400, and nothing is written. Before: the body was read as UTF-8 whatever it declared, so a Patient
// update sent in ISO-8859-1 was stored (200) with "Hélène" turned into "H\uFFFDl\uFFFDne".

const { call, run, token } = useSweepServer('dmp-sweep9-shape-');

/** The patient's PUT of his Patient with these bytes as its body. */
async function put(body: Buffer, contentType: string): Promise<{ status: number; text: string; body: any }> {
  const res = await fetch(`${run.server.fhirUrl}/Patient/p1`, { method: 'PUT', headers: { Authorization: `Bearer ${await token('patient')}`, 'Content-Type': contentType }, body });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) };
}

async function patientName(): Promise<unknown> {
  const res = await call('patient', 'GET', '/Patient/p1');
  expect(res.status).toBe(200);
  return res.body.name;
}

/** p1's Patient with a usual name "Hélène", as the bytes of `encoding`. */
async function renamed(encoding: BufferEncoding): Promise<Buffer> {
  const current = (await call('patient', 'GET', '/Patient/p1')).body;
  const { meta: _meta, ...rest } = current;
  return Buffer.from(JSON.stringify({ ...rest, name: [...current.name, { use: 'usual', given: ['Hélène'] }] }), encoding);
}

describe('a JSON body is UTF-8, or refused with nothing written', () => {
  it('declared ISO-8859-1, windows-1252 or UTF-16: 415 naming the charset', async () => {
    const before = await patientName();
    for (const [charset, encoding] of [['ISO-8859-1', 'latin1'], ['windows-1252', 'latin1'], ['utf-16', 'utf16le']] as const) {
      const res = await put(await renamed(encoding), `application/fhir+json; charset=${charset}`);
      expect([charset, res.status, res.body?.resourceType]).toEqual([charset, 415, 'OperationOutcome']);
      expect(res.text.toLowerCase()).toContain(`charset=${charset.toLowerCase()}`);
    }
    expect(await patientName()).toEqual(before);
  });

  it('ISO-8859-1 bytes sent as UTF-8 (or with no charset): 400, not a name full of U+FFFD', async () => {
    const before = await patientName();
    for (const type of ['application/fhir+json; charset=utf-8', 'application/fhir+json', 'application/json-patch+json']) {
      const res = await put(await renamed('latin1'), type);
      expect([type, res.status, res.body?.resourceType]).toEqual([type, 400, 'OperationOutcome']);
    }
    expect(await patientName()).toEqual(before);
  });

  it('the comparison can fail: the same update in UTF-8 is written', async () => {
    const res = await put(await renamed('utf8'), 'application/fhir+json; charset=UTF-8');
    expect(res.status).toBe(200);
    expect(JSON.stringify(await patientName())).toContain('Hélène');
  });
});
