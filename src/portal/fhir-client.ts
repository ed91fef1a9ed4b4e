import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';

/** A FHIR answer that was not 2xx, with the server's diagnostics (shown to the patient only in French wording). */
export class FhirCallError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome | undefined,
  ) {
    super(outcome?.issue?.map((i) => i.diagnostics).filter(Boolean).join('; ') || `HTTP ${status}`);
  }
}

/**
 * JSON.parse, except that a `"value"` decimal written with trailing zeros (`2.050`, `75.0`) is kept as its text:
 * significant digits are clinical information and a JavaScript number would drop them. A key preceded by `{` or
 * `,` cannot be inside a JSON string (quotes there are escaped), so the rewrite touches only real members.
 */
export function parseKeepingDecimals(text: string): unknown {
  return JSON.parse(text.replace(/([{,]\s*"value"\s*:\s*)(-?\d+\.\d*0)(?=\s*[,}])/g, '$1"$2"'));
}

/**
 * A resource id as a path segment of the portal's FHIR calls. Ids come from the browser (a form field, the page's
 * URL): `.` or `..` would be resolved by the URL parser into another endpoint (`Practitioner/.` is the Practitioner
 * search, whose Bundle the portal then took for a professional), so anything but a FHIR id is missing (404).
 */
function idSegment(id: string): string {
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id) || /^\.{1,2}$/.test(id)) throw new FhirCallError(404, undefined);
  return id;
}

/**
 * The portal is a SMART app like any other: it reaches the record only through the FHIR API, with the patient's
 * own access token, so consent and audit apply to it exactly as to a third-party app. `base` is this server's own
 * listening address (never taken from the request's Host header, which a caller controls).
 */
export class PortalFhir {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T; headers: Headers }> {
    const res = await fetch(path ? `${this.base}/${path}` : this.base, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        Accept: 'application/fhir+json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/fhir+json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = (text ? parseKeepingDecimals(text) : undefined) as T;
    if (!res.ok) throw new FhirCallError(res.status, json as OperationOutcome | undefined);
    return { status: res.status, json, headers: res.headers };
  }

  async read<T extends Resource>(type: string, id: string): Promise<T> {
    return (await this.call<T>('GET', `${type}/${idSegment(id)}`)).json;
  }

  /** The resources of one search page (matches and includes, by type). */
  async search<T extends Resource>(type: string, params: Record<string, string | string[]> = {}): Promise<{ resources: T[]; included: Resource[]; bundle: Bundle }> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) query.append(k, one);
    const bundle = (await this.call<Bundle>('GET', `${type}?${query.toString()}`)).json;
    const entries = bundle.entry ?? [];
    return {
      resources: entries.filter((e) => e.search?.mode !== 'include').map((e) => e.resource as T),
      included: entries.filter((e) => e.search?.mode === 'include').map((e) => e.resource as Resource),
      bundle,
    };
  }

  async create<T extends Resource>(resource: T): Promise<T> {
    return (await this.call<T>('POST', resource.resourceType, resource)).json;
  }

  async update<T extends Resource>(resource: T & { id: string }): Promise<T> {
    return (await this.call<T>('PUT', `${resource.resourceType}/${idSegment(resource.id)}`, resource)).json;
  }

  async operation<T>(path: string, body?: unknown): Promise<T> {
    return (await this.call<T>(body === undefined ? 'GET' : 'POST', path, body)).json;
  }

  /** A Binary's raw bytes and content type (the original document, downloaded as is). */
  async binary(id: string): Promise<{ contentType: string; data: Buffer }> {
    const res = await fetch(`${this.base}/Binary/${idSegment(id)}`, { headers: { Authorization: `Bearer ${this.token}`, Accept: '*/*' } });
    if (!res.ok) throw new FhirCallError(res.status, undefined);
    return { contentType: res.headers.get('content-type') ?? 'application/octet-stream', data: Buffer.from(await res.arrayBuffer()) };
  }
}
