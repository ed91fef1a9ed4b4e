import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { loadSourceThrottleConfig } from '../../src/auth/source-throttle';
import { loadConfig, readConfigSchema } from '../../src/config';
import { loadNotifyConfig } from '../../src/notify/notify-config';
import { recordLifeConfigSchema } from '../../src/records/wiring';
import { loadSmartConfig } from '../../src/smart/smart-config';

// The README's configuration tables against the code that reads the environment (issue 14, checked by a newcomer:
// `NOTIFY_RECORD_URL` was documented with a default the code had stopped using, and `DEV_TOKEN_TTL` was read but
// documented nowhere). Three promises: every variable a table lists is read by the code; its documented default is
// the one the code applies; every variable the code reads is named in README.md or in a module's README.

const ROOT = path.join(__dirname, '../..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

function files(dir: string, test: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return files(full, test);
    return test(e.name) ? [full] : [];
  });
}

const sources = files(path.join(ROOT, 'src'), (n) => n.endsWith('.ts') && !n.endsWith('.test.ts'));
const moduleReadmes = files(path.join(ROOT, 'src'), (n) => n === 'README.md').map((f) => readFileSync(f, 'utf8'));

/** Variables the server and its commands read: schema keys (`env: 'X'`), `env.X` / `process.env.X`, `(env, 'X'` helpers. */
const readByCode = new Set<string>();
for (const file of sources) {
  const text = readFileSync(file, 'utf8');
  for (const re of [/\benv: '([A-Z][A-Z0-9_]+)'/g, /\benv\.([A-Z][A-Z0-9_]+)/g, /\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g, /\(env, '([A-Z][A-Z0-9_]+)'/g]) {
    for (const m of text.matchAll(re)) readByCode.add(m[1]);
  }
}

/** Rows `| \`VAR\` | default | … |` of every table of README.md. */
const rows = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => ({ name: m[1], defaultCell: m[2].trim() }));

/** Everything the server derives from an environment, by module: a documented default must change none of it. */
const loaders: ((env: NodeJS.ProcessEnv) => unknown)[] = [
  (env) => loadConfig(env),
  (env) => loadNotifyConfig(env),
  (env) => loadSmartConfig(env),
  (env) => loadSourceThrottleConfig(env),
  (env) => readConfigSchema(recordLifeConfigSchema, env, 'record life'),
  (env) => loadAuthConfig(env, '/nonexistent-data-dir'),
];
const derived = (env: NodeJS.ProcessEnv) => loaders.map((load) => load(env));

describe('README configuration tables, against the code', () => {
  it('finds the tables and the variables the code reads', () => {
    expect(rows.length).toBeGreaterThan(40);
    for (const name of ['PORT', 'SMART_CODE_TTL', 'SIGNIN_SOURCE_LIMIT', 'LOGIN_TOKEN_TTL', 'AUDIT_CHAIN_SECRET']) expect(readByCode.has(name)).toBe(true);
  });

  it('every variable a table lists is read by the code', () => {
    expect(rows.map((r) => r.name).filter((name) => !readByCode.has(name))).toEqual([]);
  });

  it('every documented default is the one the code applies (setting it explicitly changes nothing)', () => {
    const unset = derived({});
    const differ: string[] = [];
    for (const { name, defaultCell } of rows) {
      // A default written as one literal value (`8080`, `30mb`, `86400000` (daily)); "unset → …", "none" and prose are
      // behaviours, not values.
      const literal = /^`([^`]+)`(?:\s*\([^)]*\))?$/.exec(defaultCell)?.[1];
      if (literal === undefined) continue;
      let explicit: unknown;
      try {
        explicit = derived({ [name]: literal });
      } catch (err) {
        differ.push(`${name}=${literal}: ${(err as Error).message}`);
        continue;
      }
      if (JSON.stringify(explicit) !== JSON.stringify(unset)) differ.push(`${name}: README says ${literal}`);
    }
    expect(differ).toEqual([]);
  });

  it('every variable the code reads is named in README.md or in a module README', () => {
    const named = (name: string) => [readme, ...moduleReadmes].some((text) => text.includes(`\`${name}\``) || text.includes(`${name}=`));
    expect([...readByCode].filter((name) => !named(name)).sort()).toEqual([]);
  });
});
