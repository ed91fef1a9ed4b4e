import { accessVariant } from './access';
import { auditVariant } from './audit';
import { baselineVariant } from './baseline';
import { coreVariant } from './core';
import type { BenchVariant } from './variant';

/** Every variant, baseline first (ratios are against it). */
export const VARIANTS: BenchVariant[] = [baselineVariant, coreVariant, accessVariant, auditVariant];

/** The variant of that name; throws on an unknown one. */
export function findVariant(name: string): BenchVariant {
  const variant = VARIANTS.find((v) => v.name === name);
  if (!variant) throw new Error(`Unknown bench variant "${name}" (known: ${VARIANTS.map((v) => v.name).join(', ')})`);
  return variant;
}
