import { accessVariant } from './access';
import { auditVariant } from './audit';
import { baselineVariant } from './baseline';
import { coreVariant } from './core';
import { documentsVariant } from './documents';
import { productionVariant } from './production';
import type { BenchVariant } from './variant';

/** Every variant, baseline first (ratios are against it). */
export const VARIANTS: BenchVariant[] = [baselineVariant, coreVariant, accessVariant, auditVariant, productionVariant];

/** Servers of the other benchmarks (`bench:import`), started by name but not part of the read/search runs. */
const OTHER_SERVERS: BenchVariant[] = [documentsVariant];

/** The variant of that name; throws on an unknown one. */
export function findVariant(name: string): BenchVariant {
  const variant = [...VARIANTS, ...OTHER_SERVERS].find((v) => v.name === name);
  if (!variant) throw new Error(`Unknown bench variant "${name}" (known: ${VARIANTS.map((v) => v.name).join(', ')})`);
  return variant;
}
