import { describe as describeEdges, importsUnder, isUnder, sourceFiles } from './import-graph';

// Layers depend one way (STYLE.md, src/access/README.md "Layers"): the kernel (shared types and pure modules) at the
// bottom, then the store (every SQL statement), then handlers, hooks and HTTP. When the store imported `fhir/`, a
// change to a handler's types could break the store, and the store could reach request-level code; this test keeps
// the store and the kernel below everything else.

describe('the store layer', () => {
  it('finds the files and the imports it checks (the scan is not vacuous)', () => {
    expect(sourceFiles('src/kernel').length).toBeGreaterThan(5);
    expect(sourceFiles('src/store').length).toBeGreaterThan(10);
    const targets = importsUnder(['src/store']).map((e) => e.target);
    expect(targets).toContain('src/kernel/request-context');
    expect(targets).toContain('src/kernel/sql');
  });

  it('the kernel imports nothing but itself and packages', () => {
    const outside = importsUnder(['src/kernel']).filter((e) => e.target !== undefined && !isUnder(e.target, 'src/kernel'));
    expect(describeEdges(outside)).toEqual([]);
  });

  it('the store imports only the store, the kernel and packages (nothing of fhir/, access/, audit/, documents/, http/ …)', () => {
    const outside = importsUnder(['src/store']).filter(
      (e) => e.target !== undefined && !isUnder(e.target, 'src/store') && !isUnder(e.target, 'src/kernel'),
    );
    expect(describeEdges(outside)).toEqual([]);
  });
});
