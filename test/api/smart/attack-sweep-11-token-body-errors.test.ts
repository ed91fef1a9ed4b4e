import { startSmartApp, type SmartApp } from './smart-app';

// Attack sweep 11 (SMART): "every refusal of the token endpoints is RFC 6749 JSON" (README, SMART on FHIR) held for
// the checks of the endpoints, not for the body parser in front of them: a body too large, with too many parameters,
// or in a charset the parser cannot read was answered by the FHIR error handler as an OperationOutcome, so an app (or
// fhirclient) looking for `error` found none. Such a body is now refused as invalid_request in OAuth JSON, with the
// parser's status (413, 415), never cached.

let s: SmartApp;
beforeAll(async () => {
  s = await startSmartApp(0);
}, 120_000);
afterAll(() => s?.close());

const post = async (path: string, body: string, contentType = 'application/x-www-form-urlencoded') => {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, cache: res.headers.get('cache-control'), body: (await res.json()) as Record<string, unknown> };
};

const MANY = Array.from({ length: 60 }, (_, i) => `p${i}=1`).join('&');

test.each([
  ['/auth/token', 'a body larger than 16 kB', `grant_type=refresh_token&refresh_token=${'x'.repeat(20_000)}`, undefined, 413],
  ['/auth/token', 'more than 50 parameters', MANY, undefined, 413],
  ['/auth/token', 'a charset the parser cannot read', 'grant_type=refresh_token&refresh_token=x', 'application/x-www-form-urlencoded; charset=utf-16', 415],
  ['/auth/revoke', 'more than 50 parameters', MANY, undefined, 413],
  ['/auth/logout', 'a charset the parser cannot read', 'token=x&client_id=demo-app', 'application/x-www-form-urlencoded; charset=latin9', 415],
])('%s refuses %s as invalid_request in OAuth JSON (%#)', async (path, _what, body, contentType, status) => {
  const res = await post(path, body, contentType);
  expect(res.status).toBe(status);
  expect(res.body.error).toBe('invalid_request');
  expect(typeof res.body.error_description).toBe('string');
  expect(res.body.resourceType).toBeUndefined();
  expect(res.cache).toBe('no-store');
});
