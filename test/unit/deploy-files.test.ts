import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// No Docker engine on our machines: the production Dockerfile, docker-compose.yml and .env.example are checked by
// reading them, for what issue 14 asked (built once, non-root, healthchecks, settings from an env file, no
// development issuer, nothing written into the checkout). Whether the images build is not checked here.

const ROOT = path.join(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
/** A file's lines without its comments (which may name what the file must not do). */
const withoutComments = (file: string) => read(file).split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');

interface Service {
  image?: string;
  build?: { context: string; target?: string } | string;
  command?: unknown;
  environment?: Record<string, string>;
  env_file?: string[];
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const app = compose.services.app;
const db = compose.services.db;
const dockerfile = read('Dockerfile');
/** The Dockerfile's stages: name → instructions (comments and continuation lines joined). */
const stages = new Map<string, string[]>();
{
  let current: string[] = [];
  for (const line of dockerfile.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'))) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(line);
    if (from) stages.set(from[1], (current = []));
    current.push(line.trim());
  }
}

describe('docker-compose.yml', () => {
  it('runs PostgreSQL with a pg_isready healthcheck, and the app only once it is healthy', () => {
    expect(db.image).toMatch(/^postgres:1[5-9]/);
    expect(JSON.stringify(db.healthcheck?.test)).toContain('pg_isready');
    expect(app.depends_on?.db).toEqual({ condition: 'service_healthy' });
  });

  it('builds the app image once from the Dockerfile, and runs no install or build at start-up', () => {
    expect(app.build).toMatchObject({ context: '.', target: 'runtime' });
    expect(app.command).toBeUndefined();
    expect(withoutComments('docker-compose.yml')).not.toMatch(/npm (ci|install|run build|start)/);
  });

  it('checks the app through /readyz, on the port the container listens on whatever .env says', () => {
    expect(JSON.stringify(app.healthcheck?.test)).toContain('127.0.0.1:8080/readyz');
    // `environment` wins over `env_file`: a PORT in .env would have moved the server away from the mapping and the check.
    expect(app.environment?.PORT).toBe('8080');
    expect(app.ports).toEqual(['${HOST_PORT:-8080}:8080']);
  });

  it('takes its settings from .env, sets no development issuer and NODE_ENV=production', () => {
    expect(app.env_file).toEqual(['.env']);
    expect(app.environment?.NODE_ENV).toBe('production');
    expect(Object.keys(app.environment ?? {})).not.toContain('DEV_AUTH');
    expect(withoutComments('docker-compose.yml')).not.toMatch(/DEV_AUTH|DEV_ISSUER/);
    // The database password is required, not defaulted in the file.
    expect(JSON.stringify(db)).toContain('${POSTGRES_PASSWORD:?');
  });

  it('writes nothing into the checkout: named volumes only, no bind mount', () => {
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        expect(source).toMatch(/^[a-z][a-z0-9_-]*$/);
        expect(Object.keys(compose.volumes)).toContain(source);
      }
    }
  });
});

describe('.env.example', () => {
  const keys = read('.env.example').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')[0]);

  it('names the production settings: issuer, audit chain secret, SMTP, database password', () => {
    for (const key of ['AUTH_ISSUERS', 'AUDIT_CHAIN_SECRET', 'SMTP_URL', 'MAIL_FROM', 'POSTGRES_PASSWORD', 'BASE_URL', 'METRICS_TOKEN']) expect(keys).toContain(key);
  });

  it('has no development issuer and leaves every secret empty', () => {
    expect(keys).not.toContain('DEV_AUTH');
    expect(keys).not.toContain('DEV_ISSUER_KEY');
    const values = Object.fromEntries(read('.env.example').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]));
    for (const secret of ['POSTGRES_PASSWORD', 'AUDIT_CHAIN_SECRET', 'LOGIN_ISSUER_KEY', 'METRICS_TOKEN', 'SMS_WEBHOOK_TOKEN']) expect(values[secret]).toBe('');
  });

  // Issue 14 (checked by a newcomer): docker-compose.yml writes the password into DATABASE_URL unescaped, so the file says
  // which characters it may hold; and notices link to NOTIFY_RECORD_URL + /documents/{id}…, pages only this server's
  // web space has: the example leaves it to its default (BASE_URL/portal) rather than an outside site's address.
  it('says the database password must be URL-safe, and leaves the link of notices to this server', () => {
    const text = read('.env.example');
    const before = text.slice(0, text.indexOf('POSTGRES_PASSWORD='));
    expect(before.slice(before.lastIndexOf('\n\n'))).toMatch(/Letters and digits only[\s\S]*DATABASE_URL/);
    expect(text).toMatch(/^NOTIFY_RECORD_URL=$/m);
  });

  it('is never committed as .env', () => {
    expect(read('.gitignore').split('\n')).toContain('.env');
    expect(read('.dockerignore').split('\n')).toContain('.env');
  });
});

describe('Dockerfile', () => {
  it('is multi-stage: a build stage compiles, a runtime stage installs production dependencies only', () => {
    expect([...stages.keys()]).toEqual(['build', 'runtime']);
    expect(stages.get('build')).toContain('RUN npm run build');
    expect(stages.get('runtime')).toContainEqual(expect.stringMatching(/^RUN npm ci --omit=dev/));
    expect(stages.get('runtime')).toContain('COPY --from=build /app/dist ./dist');
  });

  it('runs as a non-root user, the built server directly, with a /readyz healthcheck', () => {
    const runtime = stages.get('runtime') as string[];
    const user = runtime.filter((l) => l.startsWith('USER ')).pop();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
    expect(runtime.filter((l) => l.startsWith('CMD ')).pop()).toBe('CMD ["node", "dist/main.js"]');
    expect(runtime.find((l) => l.startsWith('HEALTHCHECK '))).toContain('/readyz');
  });

  it('copies only what exists in the repository, and keeps local files out of the build context', () => {
    for (const line of dockerfile.split('\n').filter((l) => /^COPY (?!--from)/.test(l))) {
      for (const source of line.split(/\s+/).slice(1, -1)) expect(fs.existsSync(path.join(ROOT, source))).toBe(true);
    }
    for (const ignored of ['node_modules', 'dist', 'data', '.git']) expect(read('.dockerignore').split('\n')).toContain(ignored);
  });
});
