import { html, type Html } from './html';

/** The portal's sections, in the order of its navigation. */
const NAV: { href: string; label: string }[] = [
  { href: '/portal/', label: 'Synthèse' },
  { href: '/portal/documents', label: 'Documents' },
  { href: '/portal/access', label: 'Accès des professionnels' },
  { href: '/portal/history', label: 'Historique des accès' },
  { href: '/portal/add', label: 'Ajouter une information' },
  { href: '/portal/settings', label: 'Paramètres' },
];

export interface PageContext {
  /** Path of the page, to mark its navigation entry. */
  path: string;
  /** Whose record is shown, e.g. "Marie Durand" (the guardian sees the child's name here). */
  recordOwner?: string;
  csrf?: string;
}

/** A complete page: French, one `main` landmark, a skip link, the navigation and an optional status message. */
export function page(title: string, ctx: PageContext, body: Html, notice?: { kind: 'success' | 'error'; text: string }): Html {
  const current = (href: string) => (href === '/portal/' ? ctx.path === '/portal/' : ctx.path.startsWith(href));
  // A token names one record; changing record is a new sign-in where the guardian picks it (portal-routes /switch).
  const switcher = ctx.csrf
    ? html`<form method="post" action="/portal/switch" class="switch"><input type="hidden" name="csrf" value="${ctx.csrf}"><button type="submit" class="secondary">Changer de dossier</button></form>`
    : '';
  return html`<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Mon espace santé (DMP)</title>
<link rel="stylesheet" href="/portal/assets/portal.css">
</head>
<body>
<a class="skip" href="#contenu">Aller au contenu</a>
<header class="top">
  <p class="brand">Mon dossier médical partagé</p>
  ${ctx.recordOwner ? html`<p class="owner">Dossier de <strong>${ctx.recordOwner}</strong></p>` : ''}
  ${switcher}
  ${ctx.csrf ? html`<form method="post" action="/portal/logout" class="logout"><input type="hidden" name="csrf" value="${ctx.csrf}"><button type="submit">Se déconnecter</button></form>` : ''}
</header>
${ctx.csrf ? html`<nav aria-label="Sections du dossier"><ul>${NAV.map((n) => html`<li><a href="${n.href}"${current(n.href) ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>` : ''}
<main id="contenu">
<h1>${title}</h1>
${notice ? html`<p class="notice ${notice.kind}" role="${notice.kind === 'error' ? 'alert' : 'status'}">${notice.text}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

/**
 * The stylesheet, served by the portal itself (no CDN): readable on a phone, visible focus, AA contrast. Text others
 * wrote (a break-glass reason, a title, a name) may hold one word longer than a phone's screen: `overflow-wrap` breaks
 * it instead of widening the page.
 */
export const PORTAL_CSS = `
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:1rem;line-height:1.5;color:#1b1b1b;background:#fff;overflow-wrap:break-word}
a{color:#000091}
a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #0a76f6;outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:10}
.top{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:.75rem 1rem;border-bottom:1px solid #ddd}
.brand{font-weight:700;margin:0;color:#000091}
.owner{margin:0}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:.5rem 1rem;border-bottom:1px solid #ddd}
nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem}
h2{font-size:1.25rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:700;padding:.25rem 0}
.flag{font-weight:700;color:#b00020}
.notice{padding:.75rem;border-radius:4px}
.notice.success{background:#e6f4ea;color:#0b5c1e}
.notice.error{background:#fdecea;color:#8a1c13}
form.inline{display:inline}
label{display:block;font-weight:600;margin-top:.75rem}
input,select,textarea{font:inherit;padding:.4rem;max-width:100%;border:1px solid #666;border-radius:3px}
button{font:inherit;padding:.45rem .9rem;margin-top:.5rem;border:1px solid #000091;background:#000091;color:#fff;border-radius:3px;cursor:pointer}
button.secondary{background:#fff;color:#000091}
.muted{color:#555}
.narrative{border:1px solid #ddd;padding:1rem;overflow-x:auto;max-width:100%}
.scroll{overflow-x:auto;max-width:100%}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
dt{font-weight:700}
dd{margin-left:1rem;overflow-wrap:anywhere}
iframe{max-width:100%;border:1px solid #ddd}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem}
.card{border:1px solid #ddd;border-radius:4px;padding:0 1rem 1rem}
@media (max-width:40rem){th,td{padding:.25rem}.top{flex-direction:column;align-items:flex-start}}
`;
