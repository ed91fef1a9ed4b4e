import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { searchParams } from '../../../src/fhir/search-registry';
import { computeIndexRows, type IndexRows } from '../../../src/store/indexer';

// The indexer takes two shortcuts: it skips a parameter when the resource holds none of the elements its expression
// starts from, and it runs path expressions compiled rather than through the FHIRPath interpreter. These checks pin
// that neither changes the index rows (test/unit/search/indexer-shortcuts.test.ts on our own resources and
// fixtures, test/examples/indexer-shortcuts.test.ts on the resources mapped from the public CDA examples).

/** The files ending in `ext` under a folder, recursively (none when it does not exist). */
export function filesUnder(dir: string, ext: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full, ext) : e.name.endsWith(ext) ? [full] : [];
  });
}

/** The resources a CDA file maps to; none for a document the importer refuses (4xx). */
export function mappedResources(file: string): Resource[] {
  try {
    return (planCdaImport(fs.readFileSync(file)).bundle.entry ?? []).map((e) => e.resource as Resource);
  } catch {
    return [];
  }
}

type Row = { param: string; targetType?: string } & Record<string, unknown>;

/** Every index row of a resource, of every table, as comparable text without its parameter, by parameter. */
function rowsByParam(rows: IndexRows): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const row of Object.values(rows).flat() as Row[]) {
    const { param, ...value } = row;
    if (!out.has(param)) out.set(param, new Set());
    out.get(param)?.add(JSON.stringify(value));
  }
  return out;
}

/** Registers, for each resource, the two checks: same rows as the interpreter, and parameters answered by others. */
export function checkIndexRowShortcuts(resources: Resource[]): void {
  const corpus = resources.map((resource, n) => ({ name: `${n} ${resource.resourceType}`, resource }));

  test.each(corpus)('the index rows of $name are those the interpreter gives, but for parameters answered by others', ({ resource }) => {
    const params = searchParams(resource.resourceType);
    const reference = computeIndexRows(resource, { reference: true });
    const own = (rows: Row[]): Row[] => rows.filter((row) => !params.get(row.param)?.sources);
    const expected = Object.fromEntries(Object.entries(reference).map(([table, rows]) => [table, own(rows as Row[])]));
    expect(computeIndexRows(resource)).toEqual(expected);
  });

  test.each(corpus)('the parameters of $name answered by others find exactly their values there', ({ resource }) => {
    const stored = rowsByParam(computeIndexRows(resource));
    const reference = rowsByParam(computeIndexRows(resource, { reference: true }));
    for (const def of searchParams(resource.resourceType).values()) {
      if (!def.sources) continue;
      const { codes, targetType } = def.sources;
      const found = codes.flatMap((code) => [...(stored.get(code) ?? [])]).filter((v) => !targetType || (JSON.parse(v) as Row).targetType === targetType);
      // A reference the server cannot type (a conditional one, left unresolved outside a transaction) matches no
      // search by target either way: the interpreter's row for it is of no target type.
      const expected = [...(reference.get(def.code) ?? [])].filter((v) => !targetType || (JSON.parse(v) as Row).targetType !== '');
      expect({ param: def.code, values: new Set(found) }).toEqual({ param: def.code, values: new Set(expected) });
    }
  });
}
