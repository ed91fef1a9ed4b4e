import { editJsonKeepingNumbers } from '../../../src/fhir/json-numbers';

describe('editing a JSON text keeps its numbers as written', () => {
  it('keeps 2.050, 75.0, -0.10 and 1e3 while an entry is removed', () => {
    const text = '{"entry":[{"v":2.050,"r":{"low":75.0,"high":-0.10}},{"v":1e3}],"s":"a \\"2.050\\" 3"}';
    const out = editJsonKeepingNumbers<{ entry: unknown[] }>(text, (b) => ({ ...b, entry: b.entry.slice(0, 1) }));
    expect(out).toBe('{"entry":[{"v":2.050,"r":{"low":75.0,"high":-0.10}}],"s":"a \\"2.050\\" 3"}');
  });

  it('leaves digits inside strings alone', () => {
    expect(editJsonKeepingNumbers('{"id":"2.050","n":[0,10]}', (x) => x)).toBe('{"id":"2.050","n":[0,10]}');
  });
});
