import { GP_RPPS, SPEC_RPPS, startPortalServer, textOf, type PortalServer } from './portal-harness';

// Issue 15: the patient's web space. Pages through HTTP on the production composition, with a session as the
// portal keeps it after the SMART sign-in (the sign-in itself is covered by the browser test). Expected facts are
// read from the fixtures' XML by hand: Hélène MARCHAL's TSH 6.8 m[IU]/L flagged H (range 0.4–4.0), free T4 11.2
// pmol/L (9.0–19.0), by Dr Sophie LEGRAND of the Laboratoire du Val Fleuri; her synthesis lists a penicillin
// allergy, hypothyroidism and levothyroxine.

let s: PortalServer;
let cookie: string;
const tokens: Record<string, string> = {};
const docs: Record<string, string> = {};

beforeAll(async () => {
  s = await startPortalServer();
  tokens.gp = await s.token({ kind: 'practitioner', id: GP_RPPS });
  tokens.spec = await s.token({ kind: 'practitioner', id: SPEC_RPPS });
  for (const file of ['cr-bio-thyroid-panel.xml', 'vsm-synthese-medicale.xml', 'cr-img-thorax.xml', 'cr-bio-pdf-level1.xml']) {
    const res = await s.importCda(tokens.gp, file);
    if (res.status !== 201) throw new Error(`import of ${file}: ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
    docs[file] = res.body.entry.map((e: any) => e.resource).find((r: any) => r?.resourceType === 'DocumentReference').id;
  }
  cookie = await s.sessionCookie('helene');
}, 180_000);
afterAll(() => s?.close());

test('without a session, a page sends the browser to the sign-in, which starts a SMART launch with PKCE S256', async () => {
  const res = await s.page(undefined, '/portal/documents');
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/portal/login?next=%2Fportal%2Fdocuments');
  const login = await s.page(undefined, '/portal/login?next=/portal/documents');
  expect(login.status).toBe(303);
  const to = new URL(login.headers.get('location') as string, s.server.url);
  expect(to.pathname).toBe('/auth/authorize');
  expect(Object.fromEntries(to.searchParams)).toEqual(
    expect.objectContaining({ response_type: 'code', client_id: 'dmp-portal', code_challenge_method: 'S256', redirect_uri: `${s.server.url}/portal/callback`, aud: s.server.fhirUrl }),
  );
  expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(to.searchParams.get('scope')).toContain('launch/patient');
});

test('a forged or foreign session cookie is no session', async () => {
  const res = await s.page('dmp_portal=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..x.y.z', '/portal/');
  expect(res.status).toBe(303);
});

test('the summary shows allergies, treatments, problems and the latest documents, in French', async () => {
  const res = await s.page(cookie, '/portal/');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'none'");
  expect(res.html).toContain('<html lang="fr">');
  const text = textOf(res.html);
  expect(text).toContain('Allergies');
  expect(text).toMatch(/pénicilline/i);
  expect(text).toMatch(/Lévothyroxine/);
  expect(text).toMatch(/Hypothyroïdie/);
  expect(text).toContain("Compte rendu d'examens biologiques - bilan thyroïdien");
  expect(text).toContain('Vaccin diphtérie, tétanos, poliomyélite');
});

test('the documents page lists the four documents with their author named from the directory', async () => {
  const text = textOf((await s.page(cookie, '/portal/documents')).html);
  for (const title of ["bilan thyroïdien", 'radiographie thoracique', 'Volet de synthèse médicale', 'ferritine']) expect(text).toContain(title);
  expect(text).toMatch(/Sophie LEGRAND — Médecin - Biologie médicale \(SM\) \(Laboratoire du Val Fleuri\)/);
});

test('a lab report reads as a table: value with its unit, reference range and the high flag', async () => {
  const res = await s.page(cookie, `/portal/documents/${docs['cr-bio-thyroid-panel.xml']}`);
  expect(res.status).toBe(200);
  const rows = [...res.html.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>(.*?)<\/td>/g)].map((m) => [m[1], m[2], m[3], textOf(m[4]).trim()]);
  const tsh = rows.find((r) => /Thyréostimuline/.test(r[0]));
  const t4 = rows.find((r) => /Thyroxine libre/.test(r[0]));
  expect(tsh?.[1]).toMatch(/^6,8 m\[IU\]\/L$/);
  expect(tsh?.[2]).toMatch(/^0,4 .*– 4,0 /);
  expect(tsh?.[3]).toBe('élevé');
  expect(t4?.[1]).toBe('11,2 pmol/L');
  expect(t4?.[3]).toBe('');
  // The narrative of the document, as safe HTML.
  expect(res.html).toContain('<td>TSH</td><td>6,8 mUI/L (H)</td>');
  expect(res.html).not.toMatch(/<script|<a href="http/);
});

test('a PDF copy (nonXMLBody) is shown inline from the portal and downloadable', async () => {
  const id = docs['cr-bio-pdf-level1.xml'];
  const res = await s.page(cookie, `/portal/documents/${id}`);
  expect(res.html).toContain(`src="/portal/documents/${id}/embedded"`);
  const pdf = await fetch(`${s.server.url}/portal/documents/${id}/embedded`, { headers: { cookie } });
  expect(pdf.headers.get('content-type')).toBe('application/pdf');
  expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  const original = await fetch(`${s.server.url}/portal/documents/${id}/original`, { headers: { cookie } });
  expect(original.status).toBe(200);
  expect(original.headers.get('content-disposition')).toMatch(/^attachment; filename="document-.*\.xml"$/);
});

test('a form posted without the session\'s anti-CSRF token changes nothing', async () => {
  const res = await s.post(cookie, `/portal/documents/${docs['cr-img-thorax.xml']}/mask`, { csrf: 'forged' });
  expect(res.status).toBe(403);
  expect((await s.fhir(tokens.gp, 'GET', `/DocumentReference/${docs['cr-img-thorax.xml']}`)).status).toBe(200);
});

test('the patient authorises a professional found by name, who then reads; withdraws him, who then cannot', async () => {
  const search = await s.page(cookie, '/portal/access?q=ROCHE');
  expect(textOf(search.html)).toContain('Autoriser Dr Paul ROCHE');
  expect((await s.fhir(tokens.spec, 'GET', `/DocumentReference/${docs['cr-img-thorax.xml']}`)).status).toBe(404);
  const permit = await s.post(cookie, '/portal/access/permit', { csrf: 'test-csrf-token', practitioner: 'spec', start: '', end: '' });
  expect(permit.status).toBe(303);
  expect((await s.fhir(tokens.spec, 'GET', `/DocumentReference/${docs['cr-img-thorax.xml']}`)).status).toBe(200);
  const page = await s.page(cookie, '/portal/access');
  const text = textOf(page.html);
  expect(text).toContain('Dr Claire MARTIN — Médecin généraliste');
  expect(text).toMatch(/Professionnels autorisés.*Dr Paul ROCHE — Ophtalmologue/);
  const consentId = /name="consent" value="([^"]+)"><button type="submit" class="secondary">Retirer l’autorisation de Dr Paul ROCHE/.exec(page.html)?.[1];
  expect(consentId).toBeDefined();
  expect((await s.post(cookie, '/portal/access/withdraw', { csrf: 'test-csrf-token', consent: consentId as string })).status).toBe(303);
  expect((await s.fhir(tokens.spec, 'GET', `/DocumentReference/${docs['cr-img-thorax.xml']}`)).status).toBe(404);
});

test('a document masked from the portal is hidden from an authorised professional, and unmasked again', async () => {
  const id = docs['cr-img-thorax.xml'];
  await s.post(cookie, '/portal/access/permit', { csrf: 'test-csrf-token', practitioner: 'spec' });
  expect((await s.fhir(tokens.spec, 'GET', `/DocumentReference/${id}`)).status).toBe(200);
  const mask = await s.post(cookie, `/portal/documents/${id}/mask`, { csrf: 'test-csrf-token' });
  expect(mask.location).toBe(`/portal/documents/${id}?ok=masked`);
  expect((await s.fhir(tokens.spec, 'GET', `/DocumentReference/${id}`)).status).toBe(404);
  expect(textOf((await s.page(cookie, `/portal/documents/${id}`)).html)).toContain('Masqué aux professionnels de santé');
  await s.post(cookie, `/portal/documents/${id}/unmask`, { csrf: 'test-csrf-token' });
  expect((await s.fhir(tokens.spec, 'GET', `/DocumentReference/${id}`)).status).toBe(200);
});

test('the history names who read which document, when (Paris time) and how', async () => {
  const id = docs['cr-bio-thyroid-panel.xml'];
  await s.fhir(tokens.gp, 'GET', `/DocumentReference/${id}`);
  await new Promise((r) => setTimeout(r, 300));
  const res = await s.page(cookie, '/portal/history');
  const text = textOf(res.html);
  expect(text).toMatch(/Le \d{1,2} \S+ \d{4} à \d{2}:\d{2}, Dr Claire MARTIN — Médecin généraliste a consulté « Compte rendu d'examens biologiques - bilan thyroïdien » — accès normal\./);
  // The patient's own reads are shown only on request.
  expect(text).not.toContain('vous avez consulté');
  expect(textOf((await s.page(cookie, '/portal/history?mine=1')).html)).toContain('vous avez consulté');
  const filtered = textOf((await s.page(cookie, `/portal/history?who=${encodeURIComponent('Dr Paul ROCHE — Ophtalmologue')}`)).html);
  expect(filtered).not.toContain('Dr Claire MARTIN — Médecin généraliste a consulté');
  const csv = await fetch(`${s.server.url}/portal/history.csv`, { headers: { cookie } });
  expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
  const bytes = Buffer.from(await csv.arrayBuffer());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 BOM: spreadsheet programs read the accents right
  const lines = bytes.subarray(3).toString('utf8').split('\r\n');
  expect(lines[0]).toBe('"Date (heure de Paris)";"Qui";"Quoi";"Comment";"Résultat"');
  expect(lines.some((l) => l.includes('"Dr Claire MARTIN — Médecin généraliste"'))).toBe(true);
});

test('the patient adds an allergy, his blood group and a vaccination; the summary shows them', async () => {
  expect((await s.post(cookie, '/portal/add/allergy', { csrf: 'test-csrf-token', text: 'Arachide <script>alert(1)</script>', reaction: 'œdème' })).status).toBe(303);
  expect((await s.post(cookie, '/portal/add/blood-group', { csrf: 'test-csrf-token', group: 'O+' })).status).toBe(303);
  expect((await s.post(cookie, '/portal/add/vaccination', { csrf: 'test-csrf-token', vaccine: 'Grippe saisonnière', date: '2025-10-15' })).status).toBe(303);
  const res = await s.page(cookie, '/portal/');
  expect(res.html).toContain('Arachide &lt;script&gt;alert(1)&lt;/script&gt;');
  expect(res.html).not.toContain('<script>');
  const text = textOf(res.html);
  expect(text).toMatch(/Groupe sanguin O\+/);
  expect(text).toContain('Grippe saisonnière — 15 octobre 2025');
  const bad = await s.post(cookie, '/portal/add/blood-group', { csrf: 'test-csrf-token', group: 'Z' });
  expect(bad.status).toBe(400);
  expect(textOf(bad.html)).toContain('Ce groupe sanguin n’est pas reconnu.');
});

test('emergency access refused in advance from the portal is refused to break-glass', async () => {
  expect((await s.post(cookie, '/portal/access/emergency', { csrf: 'test-csrf-token', allow: 'ETREAT' })).status).toBe(303);
  const text = textOf((await s.page(cookie, '/portal/access')).html);
  expect(text).toContain('Accès en urgence');
  const btg = await s.token({ kind: 'practitioner', id: '10000000077', purposeOfUse: 'BTG', purposeReason: 'patient inconscient' } as any);
  expect((await s.fhir(btg, 'GET', `/DocumentReference/${docs['cr-bio-thyroid-panel.xml']}`, undefined, { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': 'patient inconscient' })).status).not.toBe(200);
});

test('changing record ends the session and starts a new sign-in (the guardian picks the record there)', async () => {
  const own = await s.sessionCookie('helene');
  const res = await s.post(own, '/portal/switch', { csrf: 'test-csrf-token' });
  expect(res.status).toBe(303);
  expect(res.location).toBe('/portal/login?next=/portal/');
  expect((await s.post(own, '/portal/switch', { csrf: 'forged' })).status).toBe(403);
});

test('notices point to the exact page: the new document, the access history', async () => {
  const token = await s.token({ kind: 'patient', id: 'helene' });
  const notices = (await s.fhir(token, 'GET', '/Communication?patient=helene&_count=50')).body.entry.map((e: any) => e.resource.payload[0].contentString as string);
  const added = notices.filter((t: string) => t.startsWith('Un nouveau document'));
  expect(added.length).toBeGreaterThan(0);
  for (const text of added) expect(text).toMatch(/Consultez votre dossier : http:\/\/localhost:\d+\/portal\/documents\/[\w-]+$/);
  expect(added.some((t: string) => t.endsWith(`/portal/documents/${docs['cr-bio-thyroid-panel.xml']}`))).toBe(true);
  const accesses = notices.filter((t: string) => /a consulté votre dossier/.test(t));
  expect(accesses.length).toBeGreaterThan(0);
  for (const text of accesses) expect(text).toMatch(/\/portal\/history$/);
});

test('ongoing prescriptions are listed with the treatments; an ended one and a "do not give" line are not', async () => {
  const rx = (id: string, text: string, extra: Record<string, unknown>) => ({
    resourceType: 'MedicationRequest', intent: 'order', subject: { reference: 'Patient/helene' }, authoredOn: '2026-11-20',
    medicationCodeableConcept: { coding: [{ system: 'http://www.whocc.no/atc', code: id }], text }, ...extra,
  });
  const lines = [
    rx('N02BE01', 'PARACETAMOL 500 mg cp', { status: 'active', dosageInstruction: [{ text: '1 comprimé 3 fois par jour' }] }),
    rx('J01CA04', 'AMOXICILLINE 1 g cp', { status: 'completed' }),
    rx('M01AE01', 'IBUPROFENE 400 mg cp', { status: 'active', doNotPerform: true }),
  ];
  for (const line of lines) expect((await s.fhir(tokens.gp, 'POST', '/MedicationRequest', line)).status).toBe(201);
  const text = textOf((await s.page(cookie, '/portal/')).html);
  expect(text).toContain('PARACETAMOL 500 mg cp — 1 comprimé 3 fois par jour (prescrit le 20 novembre 2026)');
  expect(text).not.toContain('AMOXICILLINE');
  expect(text).not.toContain('IBUPROFENE');
});
