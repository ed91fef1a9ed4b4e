import type { Express } from 'express';
import type { Config } from './config';
import type { AppMetrics } from './http/metrics';
import type { Hooks } from './fhir/context';
import type { FhirService, OAuthUris, OperationDefinitionEntry } from './fhir/service';
import type { Logger } from './logger';
import type { Db } from './store/db';

/** What a feature module plugs into the app: hooks, operations, extra routes, profiles, background work. */
export interface Wiring {
  hooks?: Hooks[];
  operations?: OperationDefinitionEntry[];
  routes?: (app: Express, service: FhirService) => void;
  profiles?: Record<string, string[]>;
  /** Endpoints of a SMART authorization server this part mounts (CapabilityStatement `oauth-uris`). */
  oauthUris?: OAuthUris;
  /** Registers the module's gauges (queues, backlogs), read when /metrics is scraped. */
  metrics?: (metrics: AppMetrics) => void;
  /** Starts background work (dispatchers) once the app exists. */
  start?: (service: FhirService) => void;
  /** Stops background work and releases resources. */
  close?: () => Promise<void>;
}

/** Everything a wiring factory may use. */
export interface WiringDeps {
  config: Config;
  db: Db;
  logger: Logger;
  env: NodeJS.ProcessEnv;
}
