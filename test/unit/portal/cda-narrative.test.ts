import { readCdaNarrative } from '../../../src/portal/cda-narrative';
import { html } from '../../../src/portal/html';

const cda = (text: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:x="http://www.w3.org/1999/xhtml"><title>Compte rendu</title>
<component><structuredBody><component><section><title>Résultats</title><text>${text}</text></section></component></structuredBody></component>
</ClinicalDocument>`);

describe('a CDA narrative becomes safe HTML', () => {
  test('tables, lists, paragraphs and emphasis are kept; nothing else is', () => {
    const out = readCdaNarrative(cda('<paragraph>TSH <content styleCode="Bold">élevée</content></paragraph><list listType="ordered"><item>un</item></list><table border="1" onclick="x()"><tbody><tr><td colspan="2" style="color:red">6,8</td></tr></tbody></table>'));
    expect(out.title).toBe('Compte rendu');
    expect(out.sections[0].title).toBe('Résultats');
    expect(out.sections[0].html.text).toBe('<p>TSH <span><strong>élevée</strong></span></p><ol><li>un</li></ol><table><tbody><tr><td colspan="2">6,8</td></tr></tbody></table>');
  });

  test('scripts, links, images and multimedia never reach the page', () => {
    const out = readCdaNarrative(cda('<x:script>alert(1)</x:script><linkHtml href="https://evil.example/">voir</linkHtml><renderMultiMedia referencedObject="img1"/><paragraph>&lt;img src=x onerror=alert(1)&gt;</paragraph>'));
    const text = out.sections[0].html.text;
    expect(text).toBe('voir<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(text).not.toMatch(/<script|href=|<img/);
  });

  test('the html template escapes every interpolated value', () => {
    expect(html`<p title="${'"><script>'}">${'<b>'}</p>`.text).toBe('<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;</p>');
  });
});
