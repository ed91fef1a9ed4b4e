import { timingSafeEqual, createHash } from 'node:crypto';
import type { Express, NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../store/db';
import { PgDb } from '../store/pg-db';

/**
 * Prometheus metrics (`prom-client`), one registry per app (tests build several apps in one process). Request
 * counts and latencies are labelled by route template (`/fhir/Patient/:id`), never by the path itself: ids and
 * search values would make one series per patient, and a label is not a place for identifiers.
 */
export interface AppMetrics {
  registry: Registry;
  /** Express middleware counting and timing every request. */
  middleware: (req: Request, res: Response, next: NextFunction) => void;
  /** A gauge read at scrape time (queues and pools of the feature modules). */
  gauge(name: string, help: string, read: () => number | Promise<number>): void;
}

const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/**
 * The route template of a FHIR path: resource types and operations the server offers kept, ids and version ids
 * replaced, anything else a placeholder. Every label value comes from a list the code fixed, never from the caller: an
 * operation name kept as written (`/fhir/$a1`, `/fhir/$a2` …) made one series per request, a memory leak anyone could
 * drive (issue 14, bounded work). A path outside the FHIR base is `other` here; `matchedRoute` names the app's routes.
 */
export function routeTemplate(path: string, basePath: string, isType: (t: string) => boolean, isOperation: (name: string) => boolean): string {
  if (basePath && path !== basePath && !path.startsWith(`${basePath}/`)) {
    return ['/healthz', '/readyz', '/metrics'].includes(path) ? path : 'other';
  }
  const segments = path.slice(basePath.length).split('/').filter(Boolean);
  const out = segments.map((s, i) => {
    if (s === '_history' || s === '_search' || s === 'metadata') return s;
    if (s.startsWith('$')) return isOperation(s) ? s : ':op';
    if (i === 0) return RESOURCE_TYPE.test(s) && isType(s) ? s : ':type';
    if (i === 1) return ':id';
    return ':vid';
  });
  return `${basePath}/${out.join('/')}`;
}

/**
 * The template of the app route that answered a request outside the FHIR base (`/auth/login`,
 * `/portal/documents/:id`), as the code declared it; undefined when none did (a 404 of an unknown path).
 */
export function matchedRoute(req: Pick<Request, 'route' | 'baseUrl'>): string | undefined {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  return typeof route === 'string' ? `${req.baseUrl ?? ''}${route}` : undefined;
}

/** The metrics of one app: HTTP, process defaults, and the database pool when it is PostgreSQL. */
export function createMetrics(options: { db: Db; basePath: string; isType: (t: string) => boolean; isOperation: (name: string) => boolean }): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by method, route template and status', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer, by method, route template and status',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const gauge: AppMetrics['gauge'] = (name, help, read) => {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        // A gauge that cannot be read (database down) is left out of this scrape rather than failing all of it.
        try {
          this.set(await read());
        } catch {
          this.reset();
        }
      },
    });
  };
  if (options.db instanceof PgDb) {
    const pool = options.db.pool;
    gauge('db_pool_connections', 'PostgreSQL connections open in the pool', () => pool.totalCount);
    gauge('db_pool_idle', 'Pooled PostgreSQL connections idle', () => pool.idleCount);
    gauge('db_pool_waiting', 'Requests waiting for a pooled connection', () => pool.waitingCount);
  }
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const stop = duration.startTimer();
    // Read now: inside the FHIR router Express strips the mount path from req.path.
    const path = req.path;
    res.on('finish', () => {
      let route = routeTemplate(path, options.basePath, options.isType, options.isOperation);
      if (route === 'other') route = matchedRoute(req) ?? 'other';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      stop(labels);
    });
    next();
  };
  return { registry, middleware, gauge };
}

function sameToken(given: string, expected: string): boolean {
  // Hashes first: timingSafeEqual needs equal lengths, and the length of the token must not leak either.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Serves `/metrics` to callers presenting METRICS_TOKEN as a bearer token (401 otherwise); without a token
 * configured it is not served at all (404): the API's port is public, and metrics tell request rates per route.
 */
export function mountMetrics(app: Express, metrics: AppMetrics, token: string | undefined): void {
  app.get('/metrics', async (req, res) => {
    if (!token) {
      res.status(404).type('text/plain').send('metrics are disabled: set METRICS_TOKEN\n');
      return;
    }
    const auth = req.get('authorization') ?? '';
    const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!given || !sameToken(given, token)) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('metrics need the METRICS_TOKEN bearer token\n');
      return;
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
