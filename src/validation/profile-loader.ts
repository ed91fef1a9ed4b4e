import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { indexStructureDefinitionBundle, isProfileLoaded } from '@medplum/core';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { listJsonFiles, PROFILES_DIR } from '../conformance-files';
import { readBaseBundles } from './base-definitions';
import { registerProfile } from './profile-check';
import { buildSnapshot } from './snapshot';

/** A profile ready for `validateResource(resource, { profile })`: its StructureDefinition has a snapshot. */
export interface LoadedProfile {
  url: string;
  type: string;
  name: string;
  file: string;
  definition: StructureDefinition;
}

/** `profiles/` at the repository root. */
export const DEFAULT_PROFILES_DIR = PROFILES_DIR;

const cache = new Map<string, LoadedProfile[]>();
let baseIndexed = false;

/** Loads every StructureDefinition in a directory once per directory (later calls hit the cache). */
export function loadProfiles(profilesDir: string = DEFAULT_PROFILES_DIR): LoadedProfile[] {
  const dir = resolve(profilesDir);
  let profiles = cache.get(dir);
  if (!profiles) {
    profiles = readProfiles(dir);
    cache.set(dir, profiles);
  }
  return profiles;
}

function readProfiles(dir: string): LoadedProfile[] {
  const files = listJsonFiles(dir);
  if (files.length === 0) return [];
  const bases = loadBaseDefinitions();
  const profiles: LoadedProfile[] = [];
  for (const file of files) {
    const path = join(dir, file);
    const sd = JSON.parse(readFileSync(path, 'utf8')) as StructureDefinition;
    if (sd.resourceType !== 'StructureDefinition') continue;
    if (!sd.url || !sd.type || !sd.name) throw new Error(`${path}: a profile needs url, name and type`);
    let definition = sd;
    if (!sd.snapshot?.element?.length) {
      const base = bases.get(sd.baseDefinition ?? `http://hl7.org/fhir/StructureDefinition/${sd.type}`);
      if (!base) throw new Error(`${path}: unknown base definition ${sd.baseDefinition}`);
      definition = buildSnapshot(sd, base, path);
    }
    const profile = { url: sd.url, type: sd.type, name: sd.name, file: path, definition };
    registerProfile(profile);
    profiles.push(profile);
  }
  return profiles;
}

/**
 * Indexes the FHIR R4 base types and resources into @medplum/core once per process (its validator
 * resolves element types through them) and returns the definitions by url, as snapshot bases. The
 * map is not kept: the parsed definitions weigh hundreds of MB.
 */
function loadBaseDefinitions(): Map<string, StructureDefinition> {
  const { types, resources } = readBaseBundles();
  // Another module (search indexing) may have indexed them already; doing it twice costs ~1 s.
  if (!baseIndexed && !isProfileLoaded('http://hl7.org/fhir/StructureDefinition/Patient')) {
    indexStructureDefinitionBundle(types);
    indexStructureDefinitionBundle(resources);
  }
  baseIndexed = true;
  const byUrl = new Map<string, StructureDefinition>();
  for (const entry of [...(types.entry ?? []), ...(resources.entry ?? [])]) {
    const sd = entry.resource as StructureDefinition | undefined;
    if (sd?.resourceType === 'StructureDefinition' && sd.url) byUrl.set(sd.url, sd);
  }
  return byUrl;
}
