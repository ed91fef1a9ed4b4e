import { escapeHtml } from '../http/html-escape';

/**
 * HTML built by tagged templates: every interpolated value is escaped unless it is already `Html` (built by this
 * module). Patient data (names, document titles, free text) can therefore never inject markup into a page.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export { escapeHtml };

type Part = Html | string | number | boolean | null | undefined | Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1];
  });
  return new Html(out);
}

/** Markup this module or a sanitiser produced (never patient text). */
export function trusted(markup: string): Html {
  return new Html(markup);
}
