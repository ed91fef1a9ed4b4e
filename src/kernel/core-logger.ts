/**
 * The logging the FHIR core needs (a winston logger fits). The core knows nothing of winston, so tests and tools
 * may hand it anything with these methods. Never give it resource bodies, notice texts or tokens.
 */
export interface CoreLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** What may be logged of an unexpected error: its class, code and message, never the values it was thrown over. */
export function errorMeta(err: unknown): Record<string, unknown> {
  const e = err as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown } | null;
  if (!e || typeof e !== 'object') return { error: String(err) };
  return {
    error: typeof e.message === 'string' ? e.message.slice(0, 500) : String(err),
    errorName: typeof e.name === 'string' ? e.name : undefined,
    code: typeof e.code === 'string' ? e.code : undefined,
  };
}
