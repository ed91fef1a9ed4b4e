import { readFileSync } from 'node:fs';
import { scanPlainXml } from '../../src/cda/xml-plain-scan';
import { alterations, disagreement, xmlText } from '../unit/cda/xml-plain-agreement';
import { listPublicExamples, publicExamplesPresent } from './public-examples';

// The one-pass XML reader gives the general parser's tree or gives up, on the public examples too: BOM, CRLF, the
// `c:` prefix of self-presenting documents, entities and payloads are all there.

describe('the one-pass XML reader on the public CDA examples', () => {
  if (!publicExamplesPresent('the one-pass XML reader on the public examples')) return;
  const examples = listPublicExamples();

  it.each(examples.map((e) => [`${e.dir}/${e.file}`, e.path]))('reads %s as the general parser does, or leaves it to it', (_name, path) => {
    expect(disagreement(xmlText(readFileSync(path)))).toBeUndefined();
  });

  it('reads some of them itself (the comparison is not empty)', () => {
    const read = examples.filter((e) => scanPlainXml(xmlText(readFileSync(e.path)), 100));
    expect(read.length).toBeGreaterThanOrEqual(2); // LDL-SES and VAC (prolog instructions, CRLF); the others hold entities or payloads
  });

  it('never accepts an altered example the general parser refuses, nor reads one otherwise', () => {
    const found: string[] = [];
    // On the examples the one-pass reader does read: their alterations are where it could go wrong.
    for (const e of examples.filter((x) => scanPlainXml(xmlText(readFileSync(x.path)), 100))) {
      for (const [k, altered] of alterations(xmlText(readFileSync(e.path)), 15).entries()) {
        const problem = disagreement(altered);
        if (problem) found.push(`${e.file}, alteration ${k}: ${problem}`);
      }
    }
    expect(found).toEqual([]);
  });
});
