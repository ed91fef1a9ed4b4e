import { badRequest } from '../errors';
import type { Prefix } from './types';
import { daysInMonth } from '../calendar';

const PREFIXES: Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];
const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** Splits an optional comparison prefix off a date, number or quantity value. */
export function splitPrefix(value: string): { prefix: Prefix; rest: string } {
  const p = value.slice(0, 2) as Prefix;
  if (PREFIXES.includes(p) && /^[a-z]{2}[-+0-9.]/.test(value)) return { prefix: p, rest: value.slice(2) };
  return { prefix: 'eq', rest: value };
}

/** The inclusive instant range [low, high] a (possibly partial) FHIR date denotes, in ISO UTC. */
export function dateRange(value: string): { low: string; high: string } | undefined {
  const m = DATE_RE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo ? Number(mo) - 1 : 0;
  const day = d ? Number(d) : 1;
  if (mo && (month < 0 || month > 11)) return undefined;
  // 2024-02-30 is no day: Date.UTC would roll it over to 1 March, in a search as in the index of a stored value.
  if (d && (day < 1 || day > daysInMonth(year, month + 1))) return undefined;
  let start: number;
  let end: number;
  if (h === undefined) {
    start = Date.UTC(year, month, day);
    end = mo === undefined ? Date.UTC(year + 1, 0, 1) : d === undefined ? Date.UTC(year, month + 1, 1) : Date.UTC(year, month, day + 1);
  } else {
    const offset = !tz || tz === 'Z' ? 0 : (tz[0] === '-' ? -1 : 1) * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6)));
    const ms = frac ? Math.round(Number(frac) * 1000) : 0;
    start = Date.UTC(year, month, day, Number(h), Number(mi), s ? Number(s) : 0, ms) - offset * 60000;
    end = start + (frac ? 1 : s !== undefined ? 1000 : 60000);
  }
  if (Number.isNaN(start) || Number.isNaN(end)) return undefined;
  return { low: new Date(start).toISOString(), high: new Date(end - 1).toISOString() };
}

/** Parses `[prefix]number[|system|code]`. */
export function parseQuantity(value: string): { prefix: Prefix; number: number; digits: string; system?: string; code?: string } | undefined {
  const { prefix, rest } = splitPrefix(value);
  const [num, system, code] = rest.split('|');
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(num)) return undefined;
  return { prefix, number: Number(num), digits: num, system: system || undefined, code: code || undefined };
}

/** Throws 400 when a value cannot be a value of that parameter type. */
export function assertValueSyntax(type: string, name: string, value: string, modifier?: string): void {
  if (modifier === 'missing') {
    if (value !== 'true' && value !== 'false') throw badRequest(`${name} must be true or false, not "${value}"`);
    return;
  }
  if (value === '') throw badRequest(`Empty value for search parameter "${name}"`);
  if (type === 'date') {
    const { rest } = splitPrefix(value);
    if (!dateRange(rest)) throw badRequest(`Invalid date "${value}" for "${name}": expected [prefix]YYYY[-MM[-DD[Thh:mm[:ss[.sss]][Z|±hh:mm]]]]`);
  } else if (type === 'number' || type === 'quantity') {
    if (!parseQuantity(value)) throw badRequest(`Invalid ${type} "${value}" for "${name}": expected [prefix]number${type === 'quantity' ? '[|system|code]' : ''}`);
  }
}
