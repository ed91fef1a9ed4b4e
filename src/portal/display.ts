import type { CodeableConcept, HumanName, Period, Quantity, Reference } from '@medplum/fhirtypes';
import { parisDay, parisTime } from '../notify/paris-time';

/** What a person reads for a coded concept: its text, else the first display, else the code. */
export function conceptText(cc: CodeableConcept | CodeableConcept[] | undefined): string {
  const one = Array.isArray(cc) ? cc[0] : cc;
  if (!one) return '';
  return one.text ?? one.coding?.find((c) => c.display)?.display ?? one.coding?.[0]?.code ?? '';
}

/** "Marie Durand" from a HumanName list (official name first). */
export function personName(names: HumanName[] | undefined): string {
  const name = names?.find((n) => n.use === 'official') ?? names?.[0];
  if (!name) return '';
  if (name.text) return name.text;
  return [...(name.prefix ?? []), ...(name.given ?? []), name.family].filter(Boolean).join(' ');
}

/** A FHIR date or dateTime as a French reader sees it (a bare date stays a day; an instant in Europe/Paris). */
export function frenchDate(value: string | undefined): string {
  if (!value) return '';
  if (/^\d{4}$/.test(value)) return value;
  if (/^\d{4}-\d{2}$/.test(value)) return new Intl.DateTimeFormat('fr-FR', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${value}-01T00:00:00Z`));
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${value}T00:00:00Z`));
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? value : parisTime(at);
}

export function frenchDay(value: string | undefined): string {
  if (!value) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return frenchDate(value);
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? value : parisDay(at);
}

export function periodText(p: Period | undefined): string {
  if (!p) return '';
  if (p.start && p.end) return `du ${frenchDay(p.start)} au ${frenchDay(p.end)}`;
  if (p.start) return `depuis le ${frenchDay(p.start)}`;
  if (p.end) return `jusqu’au ${frenchDay(p.end)}`;
  return '';
}

/** A quantity as written in the source: the decimal's own digits, the comparator, the unit. */
export function quantityText(q: (Omit<Quantity, 'value'> & { value?: number | string }) | undefined): string {
  if (!q || q.value === undefined) return '';
  return [q.comparator, String(q.value).replace('.', ','), q.unit ?? q.code].filter(Boolean).join(' ');
}

export function referenceText(r: Reference | undefined): string {
  return r?.display ?? r?.identifier?.value ?? r?.reference ?? '';
}
