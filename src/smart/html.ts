import type { Response } from 'express';
import { escapeHtml } from '../http/html-escape';

/** Escapes text for HTML content and double-quoted attributes (the server's one escaper). */
export const esc = escapeHtml;

/** A page of the sign-in: French, no script, no external resource, usable on a phone. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} – DMP</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
label{display:block;margin-top:1rem;font-weight:600}input[type=text],input[type=password]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}.error{color:#a4000f;border:1px solid #a4000f;padding:.5rem}
ul.scopes{padding-left:0;list-style:none}ul.scopes li{margin:.4rem 0}</style></head>
<body><main><h1>${esc(title)}</h1>
${body}
</main></body></html>`;
}

/**
 * Sends a sign-in page with the headers it needs: never cached (it carries a CSRF token), never framed
 * (clickjacking of the consent button), no script at all, forms posting only here (and, after the consent, the
 * redirect to the app's registered URI, which browsers check against form-action too).
 */
export function sendPage(res: Response, status: number, html: string, formTargets: string[] = []): void {
  const targets = ["'self'", ...formTargets].join(' ');
  res.status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
      'X-Frame-Options': 'DENY',
      // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with a form POST, and the forms
      // of the sign-in check their Origin (authorize-route.ts); nothing leaks to other sites either way.
      'Referrer-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${targets}; frame-ancestors 'none'; base-uri 'none'`,
    })
    .send(html);
}

/** The hidden fields every form of one authorization carries: which one, and its CSRF token. */
export function hidden(tx: string, csrf: string): string {
  return `<input type="hidden" name="tx" value="${esc(tx)}"><input type="hidden" name="csrf" value="${esc(csrf)}">`;
}

export const errorBlock = (message?: string): string => (message ? `<p class="error" role="alert">${esc(message)}</p>` : '');
