/** Turns a row's stored text into the resource JSON served (for types stored in another form). */
export type StoredTextRenderer = (id: string, text: string) => string;

const renderers = new Map<string, StoredTextRenderer>();

/**
 * Registers how rows of `type` are served. The store itself knows nothing of the forms: the module that
 * writes one registers its renderer (the audit trail stores what an AuditEvent records, not its JSON).
 */
export function registerStoredTextRenderer(type: string, render: StoredTextRenderer): void {
  renderers.set(type, render);
}

/** The JSON served for a stored row. */
export function renderStoredText(type: string, id: string, text: string | null): string | null {
  const render = text === null ? undefined : renderers.get(type);
  return render ? render(id, text as string) : text;
}
