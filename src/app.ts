import express, { type Express } from 'express';
import type { Resource } from '@medplum/fhirtypes';
import type { Config } from './config';
import type { Hooks } from './fhir/context';
import type { WorkLimits } from './fhir/limits';
import { notFound } from './fhir/errors';
import type { FhirService, OperationDefinitionEntry } from './fhir/service';
import { loadDefinitions } from './fhir/search-registry';
import { assertValid, createValidator, profilesByType, type ValidateOptions, type Validator } from './validation';
import { createLogger, type Logger } from './logger';
import type { Db } from './store/db';
import { SystemRepository } from './system/system-repository';
import { errorHandler } from './http/errors';
import { fhirEndpoint, newContext } from './http/fhir-endpoint';
import { requestLog } from './http/request-log';
import { rememberedTrust, TRUSTED_PROXIES } from './http/trusted-proxies';
import { createMetrics, mountMetrics, type AppMetrics } from './http/metrics';
import { registerAuditEventStorage } from './audit/stored-event';
import { OFFERED_TYPES, supportedInteractions } from './access/resource-classes';

/** The classified resource types (see `access/resource-classes.ts`) and the interactions each supports. */
function offeredResourceTypes(): ReadonlyMap<string, readonly string[]> {
  return new Map(OFFERED_TYPES.map((type) => [type, supportedInteractions(type)]));
}

export interface AppOptions {
  config: Config;
  db: Db;
  logger?: Logger;
  /** Interceptors (access control, audit, notifications), run in order. */
  hooks?: Hooks[];
  /** Validation of every write; throws a 422 FhirError. Defaults to the FHIR schema + our profiles. */
  validate?: (resource: Resource, options?: ValidateOptions) => void;
  operations?: OperationDefinitionEntry[];
  profiles?: Record<string, string[]>;
  /** Offered resource types and their interactions; defaults to the access classification (`access/resource-classes`). */
  resourceTypes?: ReadonlyMap<string, readonly string[]>;
  /** Endpoints of the SMART authorization server, when one is mounted (advertised in the CapabilityStatement). */
  oauthUris?: FhirService['oauthUris'];
  /** Registers the feature modules' gauges on the app's metrics (`http/metrics.ts`). */
  metrics?: (metrics: AppMetrics) => void;
  /** Extra Express routes mounted before the FHIR API (auth endpoints, well-known documents …). */
  routes?: (app: Express, service: FhirService) => void;
}

/** The per-request bounds of the configuration (`fhir/limits.ts`). */
export function workLimits(config: Config): WorkLimits {
  return {
    maxBundleEntries: config.maxBundleEntries,
    maxResponseBytes: config.maxResponseSize,
    maxEverythingCount: config.everythingMaxCount,
    maxIncluded: config.maxIncluded,
    maxCountedRecords: config.maxCountedRecords,
  };
}

let sharedValidator: Validator | undefined;

/** The FHIR schema + profiles validator, compiled once per process (~3.6 s) and shared by every app. */
function defaultValidator(): Validator {
  return (sharedValidator ??= createValidator());
}

/**
 * Compiles the validator now rather than at the first write: the server's entry point calls it before listening, so the
 * first write after a start does not wait 3–6 s for it (a patient's first withdrawal in the portal took 5.7 s) and a
 * broken schema stops the start. Tests leave it to the first write: most files never validate.
 */
export function prepareValidation(): number {
  const started = performance.now();
  defaultValidator();
  return Math.round(performance.now() - started);
}

/** The composition root: wires store, hooks, validation and HTTP once; tests build the same app. */
export function createApp(options: AppOptions): { app: Express; service: FhirService; logger: Logger; metrics: AppMetrics } {
  loadDefinitions();
  registerAuditEventStorage();
  const { config, db } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const hooks = options.hooks ?? [];
  const service: FhirService = {
    // Handlers get the access-scoped repository only; the unscoped one stays here and with the named system services.
    repo: new SystemRepository(db, hooks, logger).scoped(),
    hooks,
    validate: options.validate ?? ((resource: Resource, validateOptions?: ValidateOptions) => assertValid(resource, defaultValidator(), validateOptions)),
    operations: options.operations ?? [],
    profiles: options.profiles ?? profilesByType(defaultValidator()),
    resourceTypes: options.resourceTypes ?? offeredResourceTypes(),
    oauthUris: options.oauthUris,
    limits: workLimits(config),
    logger,
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', TRUSTED_PROXIES);
  app.set('trust proxy', rememberedTrust(app.get('trust proxy fn') as (address: string, hop: number) => boolean));
  app.set('query parser', 'simple');
  const operationNames = new Set(service.operations.map((o) => o.name));
  const metrics = createMetrics({ db, basePath: config.fhirBasePath, isType: (t) => service.resourceTypes.has(t), isOperation: (name) => operationNames.has(name) });
  options.metrics?.(metrics);
  app.use(requestLog(logger));
  app.use(metrics.middleware);
  mountMetrics(app, metrics, config.metricsToken);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await db.query('SELECT 1');
      res.json({ status: 'ready', database: db.kind });
    } catch {
      res.status(503).json({ status: 'unavailable', database: db.kind });
    }
  });
  options.routes?.(app, service);
  app.use(config.fhirBasePath || '/', express.raw({ type: () => true, limit: config.maxBodySize }), (req, res, next) => {
    res.locals.ctx = newContext(req, res.locals.requestId as string);
    next();
  });
  app.use(config.fhirBasePath || '/', fhirEndpoint(service, { baseUrl: config.baseUrl, basePath: config.fhirBasePath }));
  app.use((req) => {
    throw notFound(`Nothing at ${req.path}: the FHIR API is under ${config.fhirBasePath || '/'}`);
  });
  app.use(errorHandler(logger));
  return { app, service, logger, metrics };
}
