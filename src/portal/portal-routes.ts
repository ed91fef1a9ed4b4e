import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Consent, Patient } from '@medplum/fhirtypes';
import * as actions from './actions';
import { FhirCallError } from './fhir-client';
import { personName } from './display';
import { html, type Html } from './html';
import { page, PORTAL_CSS } from './layout';
import { accessPage, consentsOf, EMERGENCY, portalConsent, professionalActor } from './pages/access';
import { addPage } from './pages/add';
import { binaryIdOf, documentPage } from './pages/document';
import { documentsPage } from './pages/documents';
import { historyCsv, historyLines, filterLines, historyPage } from './pages/history';
import { settingsPage } from './pages/settings';
import { summaryPage } from './pages/summary';
import { loadSession, portalCall, securityHeaders, type PortalCall, type PortalOptions } from './portal-request';
import { SESSION_COOKIE } from './session';
import { finishSignIn, refreshSession, signOut, startSignIn } from './sign-in';
import { readCdaNarrative } from './cda-narrative';
import { readUpload } from './upload';
import { INLINE_TYPES, servedType } from './served-type';
import type { DocumentReference, Practitioner } from '@medplum/fhirtypes';

/** Messages shown after an action succeeded (`?ok=` of the redirect). */
const DONE: Record<string, string> = {
  masked: 'Le document est maintenant masqué aux professionnels.',
  unmasked: 'Le document est de nouveau visible par les professionnels que vous avez autorisés.',
  permitted: 'Le professionnel est autorisé à consulter votre dossier.',
  denied: 'Le professionnel est bloqué : il ne peut plus consulter votre dossier.',
  withdrawn: 'C’est fait : votre choix a été retiré.',
  emergency: 'Vos choix d’accès en urgence sont enregistrés.',
  added: 'L’information a été ajoutée à votre dossier.',
  'contact-sent': 'Un code de confirmation a été envoyé à la nouvelle coordonnée. Saisissez-le ci-dessous.',
  'contact-confirmed': 'Votre nouvelle coordonnée est enregistrée.',
  notices: 'Vos préférences de notification sont enregistrées.',
  password: 'Votre mot de passe a été changé.',
  closed: 'Votre dossier est fermé.',
  reactivated: 'Votre dossier est réactivé.',
};

const FAILURE: Record<number, string> = {
  403: 'Cette action ne vous est pas permise.',
  404: 'Cette page ou ce document n’existe pas, ou ne vous est pas accessible.',
  409: 'Cette action entre en conflit avec l’état actuel du dossier.',
  422: 'Les informations envoyées ne peuvent pas être enregistrées.',
  429: 'Trop de demandes : réessayez plus tard.',
};

const form = express.urlencoded({ extended: false, limit: '64kb' });

type Handler = (call: PortalCall, req: Request, res: Response) => Promise<void>;

/** The name of the record shown (the guardian sees the child's name in the header). */
async function recordOwner(call: PortalCall): Promise<string | undefined> {
  const me = await call.fhir.read<Patient>('Patient', call.session.patient);
  return personName(me.name) || undefined;
}

async function render(call: PortalCall, req: Request, res: Response, status: number, content: { title: string; body: Html }, notice?: { kind: 'success' | 'error'; text: string }): Promise<void> {
  const owner = await recordOwner(call).catch(() => undefined);
  // Own keys only: `?ok=constructor` would otherwise show Object's source as a success message.
  const ok = typeof req.query.ok === 'string' && Object.hasOwn(DONE, req.query.ok) ? DONE[req.query.ok] : undefined;
  const shown = notice ?? (ok ? { kind: 'success' as const, text: ok } : undefined);
  res.status(status).type('html').send(page(content.title, { path: call.path, recordOwner: owner, csrf: call.session.csrf }, content.body, shown).text);
}

function failurePage(res: Response, status: number, text: string, call?: PortalCall): void {
  res.status(status).type('html').send(page('Une erreur est survenue', { path: call?.path ?? '/portal/', csrf: call?.session.csrf }, html`<p><a href="/portal/">Revenir à la synthèse</a></p>`, { kind: 'error', text }).text);
}

/**
 * Wraps a portal route: a signed-in session (refreshed when its access token expired; otherwise the sign-in for a
 * page, 401 for an action), the CSRF check of every POST, and French answers for every failure.
 */
function signedIn(o: PortalOptions, handler: Handler) {
  return async (req: Request, res: Response, _next: NextFunction): Promise<void> => {
    securityHeaders(res);
    let session = await loadSession(o, req);
    if (!session) {
      const expired = await o.sealer.open<{ refreshToken?: string; patient: string; csrf: string; accessToken: string; expiresAt: number }>(req.headers.cookie?.match(new RegExp(`${SESSION_COOKIE}=([^;]+)`))?.[1]);
      if (expired) session = await refreshSession(o, req, res, expired);
    }
    if (!session) {
      if (req.method === 'GET') return res.redirect(303, `/portal/login?next=${encodeURIComponent(req.originalUrl.split('?')[0])}`);
      return failurePage(res, 401, 'Votre session a expiré : veuillez vous reconnecter.');
    }
    const call = portalCall(o, req, session);
    if (req.method === 'POST' && (req.body as Record<string, unknown> | undefined)?.csrf !== session.csrf) {
      return failurePage(res, 403, 'Ce formulaire a expiré ou ne vient pas de votre espace : rechargez la page et recommencez.', call);
    }
    try {
      await handler(call, req, res);
    } catch (err) {
      if (err instanceof actions.PortalInputError) return failurePage(res, 400, err.message, call);
      if (err instanceof FhirCallError) {
        if (err.status === 401) return res.redirect(303, '/portal/login');
        return failurePage(res, err.status >= 500 ? 502 : err.status, FAILURE[err.status] ?? 'Le service est momentanément indisponible : réessayez plus tard.', call);
      }
      throw err;
    }
  };
}

const body = (req: Request) => (req.body ?? {}) as Record<string, unknown>;
const done = (res: Response, path: string, key: string) => res.redirect(303, `${path}${path.includes('?') ? '&' : '?'}ok=${key}`);

/** Mounts the patient's web space under `/portal/`. */
export function mountPortal(app: Express, o: PortalOptions): void {
  const r = express.Router();
  const get = (path: string, h: Handler) => r.get(path, signedIn(o, h));
  const post = (path: string, h: Handler) => r.post(path, form, signedIn(o, h));

  r.get('/assets/portal.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/css').send(PORTAL_CSS);
  });
  r.get('/login', (req, res) => {
    securityHeaders(res);
    return startSignIn(o, req, res);
  });
  r.get('/callback', (req, res) => {
    securityHeaders(res);
    return finishSignIn(o, req, res);
  });
  r.post('/logout', form, async (req, res) => {
    securityHeaders(res);
    const session = await loadSession(o, req);
    if (session && body(req).csrf !== session.csrf) return failurePage(res, 403, 'Ce formulaire a expiré : rechargez la page et recommencez.');
    await signOut(o, req, res, session);
  });

  get('/', async (call, req, res) => render(call, req, res, 200, await summaryPage(call)));
  get('/documents', async (call, req, res) => render(call, req, res, 200, await documentsPage(call)));
  get('/documents/:id', async (call, req, res) => render(call, req, res, 200, await documentPage(call, String(req.params.id))));
  get('/documents/:id/original', async (call, req, res) => {
    const doc = await call.fhir.read<DocumentReference>('DocumentReference', String(req.params.id));
    const binaryId = binaryIdOf(doc);
    if (!binaryId) throw new FhirCallError(404, undefined);
    const stored = await call.fhir.binary(binaryId);
    const contentType = servedType(stored.contentType);
    const inline = req.query.inline === '1' && INLINE_TYPES.includes(contentType);
    const extension = contentType.includes('pdf') ? 'pdf' : contentType.includes('png') ? 'png' : contentType.includes('jpeg') ? 'jpg' : contentType.includes('xml') ? 'xml' : 'bin';
    res.setHeader('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="document-${doc.id}.${extension}"`);
    // A download is never a page of the portal: were a browser to render it anyway, it would run and load nothing.
    if (!inline) res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
    res.setHeader('Content-Type', contentType);
    res.send(stored.data);
  });
  get('/documents/:id/embedded', async (call, req, res) => {
    const doc = await call.fhir.read<DocumentReference>('DocumentReference', String(req.params.id));
    const binaryId = binaryIdOf(doc);
    const embedded = binaryId ? readCdaNarrative((await call.fhir.binary(binaryId)).data).embedded : undefined;
    if (!embedded || embedded.mediaType !== 'application/pdf') throw new FhirCallError(404, undefined);
    res.setHeader('Content-Disposition', `inline; filename="document-${doc.id}.pdf"`);
    res.type('application/pdf').send(embedded.data);
  });
  post('/documents/:id/mask', async (call, req, res) => {
    const id = String(req.params.id);
    await call.fhir.read<DocumentReference>('DocumentReference', id); // 404 when it is not the patient's to see
    await call.fhir.create(portalConsent(call.session.patient, { type: 'deny', data: [{ meaning: 'instance', reference: { reference: `DocumentReference/${id}` } }] }));
    done(res, `/portal/documents/${encodeURIComponent(id)}`, 'masked');
  });
  post('/documents/:id/unmask', async (call, req, res) => {
    const id = String(req.params.id);
    const consents = await call.fhir.search<Consent>('Consent', { patient: call.session.patient, status: 'active', _count: '200' });
    for (const c of consents.resources.filter((c) => c.provision?.type === 'deny' && c.provision.data?.some((d) => d.reference?.reference === `DocumentReference/${id}`))) {
      await call.fhir.update({ ...c, id: c.id as string, status: 'inactive' });
    }
    done(res, `/portal/documents/${encodeURIComponent(id)}`, 'unmasked');
  });

  get('/access', async (call, req, res) => render(call, req, res, 200, await accessPage(call, typeof req.query.q === 'string' ? req.query.q : undefined)));
  post('/access/permit', async (call, req, res) => {
    const p = await call.fhir.read<Practitioner>('Practitioner', actions.required(body(req), 'practitioner', 'le professionnel', 64));
    const start = typeof body(req).start === 'string' && body(req).start ? String(body(req).start) : undefined;
    const end = typeof body(req).end === 'string' && body(req).end ? String(body(req).end) : undefined;
    if ((start && !/^\d{4}-\d{2}-\d{2}$/.test(start)) || (end && !/^\d{4}-\d{2}-\d{2}$/.test(end)) || (start && end && end < start)) throw new actions.PortalInputError('La période indiquée n’est pas valide.');
    await call.fhir.create(portalConsent(call.session.patient, { type: 'permit', actor: [professionalActor(p)], period: start || end ? { start, end } : undefined }));
    done(res, '/portal/access', 'permitted');
  });
  post('/access/deny', async (call, req, res) => {
    const p = await call.fhir.read<Practitioner>('Practitioner', actions.required(body(req), 'practitioner', 'le professionnel', 64));
    await call.fhir.create(portalConsent(call.session.patient, { type: 'deny', actor: [professionalActor(p)] }));
    done(res, '/portal/access', 'denied');
  });
  post('/access/withdraw', async (call, req, res) => {
    const c = await call.fhir.read<Consent>('Consent', actions.required(body(req), 'consent', 'le choix à retirer', 64));
    await call.fhir.update({ ...c, id: c.id as string, status: 'inactive' });
    done(res, '/portal/access', 'withdrawn');
  });
  post('/access/emergency', async (call, req, res) => {
    const raw = body(req).allow;
    const allowed = new Set(Array.isArray(raw) ? raw.map(String) : raw ? [String(raw)] : []);
    const { refusals } = await consentsOf(call);
    for (const e of EMERGENCY) {
      const refusal = refusals.get(e.code);
      if (allowed.has(e.code) && refusal) await call.fhir.update({ ...refusal, id: refusal.id as string, status: 'inactive' });
      if (!allowed.has(e.code) && !refusal) {
        await call.fhir.create(portalConsent(call.session.patient, { type: 'deny', purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: e.code }] }));
      }
    }
    done(res, '/portal/access', 'emergency');
  });

  const historyFilter = (req: Request) => ({
    who: typeof req.query.who === 'string' && req.query.who ? req.query.who : undefined,
    document: typeof req.query.document === 'string' && req.query.document ? req.query.document : undefined,
    mine: req.query.mine === '1',
  });
  get('/history', async (call, req, res) => render(call, req, res, 200, await historyPage(call, historyFilter(req))));
  get('/history.csv', async (call, req, res) => {
    const lines = filterLines(await historyLines(call), historyFilter(req));
    res.setHeader('Content-Disposition', 'attachment; filename="historique-des-acces.csv"');
    res.type('text/csv; charset=utf-8').send(historyCsv(lines));
  });

  get('/add', async (call, req, res) => render(call, req, res, 200, addPage(call)));
  post('/add/allergy', async (call, req, res) => {
    await actions.addAllergy(call, body(req));
    done(res, '/portal/', 'added');
  });
  post('/add/blood-group', async (call, req, res) => {
    await actions.addBloodGroup(call, body(req));
    done(res, '/portal/', 'added');
  });
  post('/add/emergency-contact', async (call, req, res) => {
    await actions.addEmergencyContact(call, body(req));
    done(res, '/portal/', 'added');
  });
  post('/add/vaccination', async (call, req, res) => {
    await actions.addVaccination(call, body(req));
    done(res, '/portal/', 'added');
  });
  post('/add/directives', async (call, req, res) => {
    const text = actions.required(body(req), 'text', 'vos directives anticipées', 20000);
    const id = await actions.addPatientDocument(call, { title: 'Mes directives anticipées', contentType: 'text/plain; charset=utf-8', data: Buffer.from(text, 'utf8'), directives: true });
    done(res, id ? `/portal/documents/${id}` : '/portal/documents', 'added');
  });
  // Multipart: the CSRF token is a field of the form itself, checked once the form is read.
  r.post('/add/document', async (req, res, next) => {
    // Before the form is read: a refusal of the form itself is a portal page too (CSP, no-store, nosniff).
    securityHeaders(res);
    try {
      const upload = await readUpload(req);
      req.body = upload.fields;
      (req as Request & { upload?: Buffer }).upload = upload.file;
    } catch (err) {
      if (err instanceof actions.PortalInputError) return failurePage(res, 400, err.message);
      throw err;
    }
    return signedIn(o, async (call, rq, rs) => {
      const data = (rq as Request & { upload?: Buffer }).upload;
      if (!data?.length) throw new actions.PortalInputError('Veuillez choisir un fichier.');
      const contentType = actions.sniffUpload(data);
      if (!contentType) throw new actions.PortalInputError('Seuls les fichiers PDF, JPEG et PNG sont acceptés.');
      const id = await actions.addPatientDocument(call, { title: actions.required(body(rq), 'title', 'le titre du document'), contentType, data });
      done(rs, id ? `/portal/documents/${id}` : '/portal/documents', 'added');
    })(req, res, next);
  });

  get('/settings', async (call, req, res) => render(call, req, res, 200, await settingsPage(call, req.query.ok === 'contact-sent')));
  post('/settings/contact', async (call, req, res) => {
    const system = actions.required(body(req), 'system', 'le type de coordonnée', 10);
    const value = actions.required(body(req), 'value', 'la nouvelle coordonnée', 254);
    await call.fhir.operation(`Patient/${call.session.patient}/$change-contact`, { resourceType: 'Parameters', parameter: [{ name: 'system', valueString: system }, { name: 'value', valueString: value }] });
    done(res, '/portal/settings', 'contact-sent');
  });
  post('/settings/contact/confirm', async (call, req, res) => {
    const code = actions.required(body(req), 'code', 'le code reçu', 12);
    await call.fhir.operation(`Patient/${call.session.patient}/$confirm-contact`, { resourceType: 'Parameters', parameter: [{ name: 'code', valueString: code }] });
    done(res, '/portal/settings', 'contact-confirmed');
  });
  post('/settings/notices', async (call, req, res) => {
    await actions.setNoticeChannel(call, body(req));
    done(res, '/portal/settings', 'notices');
  });
  post('/settings/notices/kinds', async (call, req, res) => {
    await actions.setNoticeKinds(call, body(req));
    done(res, '/portal/settings', 'notices');
  });
  post('/settings/password', async (call, req, res) => {
    const answer = await fetch(`${new URL(call.fhirBase).origin}/auth/password`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${call.session.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ identifier: actions.required(body(req), 'identifier', 'votre identifiant', 254), password: actions.required(body(req), 'password', 'le nouveau mot de passe', 256), patient: call.session.patient }),
    });
    if (answer.status === 422 || answer.status === 400) throw new actions.PortalInputError('Ce mot de passe est trop simple ou trop courant : choisissez-en un plus long et moins prévisible.');
    if (!answer.ok) throw new FhirCallError(answer.status, undefined);
    done(res, '/portal/settings', 'password');
  });
  post('/settings/close', async (call, req, res) => {
    if (body(req).confirm !== 'yes') throw new actions.PortalInputError('Cochez la case de confirmation pour fermer votre dossier.');
    const reason = actions.required(body(req), 'reason', 'le motif', 32);
    await call.fhir.operation(`Patient/${call.session.patient}/$close`, { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: reason }] });
    done(res, '/portal/settings', 'closed');
  });
  post('/settings/reactivate', async (call, _req, res) => {
    await call.fhir.operation(`Patient/${call.session.patient}/$reactivate`, { resourceType: 'Parameters' });
    done(res, '/portal/settings', 'reactivated');
  });
  // A token names one record: a guardian changes record through a new authorization, whose record page offers his
  // own and each child's whose guardian link names him. This token ends here; the authorization server's sign-in
  // session stays, so no password is asked while it lives (src/portal/README.md, "Guardian switch").
  post('/switch', async (call, req, res) => {
    await signOut(o, req, res, call.session, { quiet: true, switching: true });
    res.redirect(303, '/portal/login?next=/portal/');
  });

  app.use('/portal', r);
}
