import { historyCsv, type HistoryLine } from '../../../src/portal/pages/history';

// Attack sweep 11: the history export names people as senders wrote them (a declared directory entry, a document's own
// display of its author). A spreadsheet reads a cell whose text starts with =, +, - or @ as a formula, and some programs
// skip leading blanks or a tab first; such a cell is exported behind a quote, so it opens as the text it is.

const line = (who: string): HistoryLine => ({ at: '', when: '6 décembre 2026 à 10:00', who, what: 'votre dossier', documents: [], how: 'accès normal', refused: false, self: false, sentence: '' });
/** The "Qui" cell of the one line: after the date cell, up to the "Quoi" cell (names may hold semicolons). */
const cellOf = (csv: string): string => {
  const row = csv.split('\r\n')[1];
  return row.slice(row.indexOf(';') + 1, row.lastIndexOf(';"votre dossier"'));
};

test.each([
  ['=HYPERLINK("https://evil.example";"Dr X")', '"\'=HYPERLINK(""https://evil.example"";""Dr X"")"'],
  ['  =1+1', '"\'  =1+1"'],
  ['\u00A0@SUM(A1)', '"\'\u00A0@SUM(A1)"'],
  ['\t-2+3', '"\'\t-2+3"'],
  ['\uFF1D1+1', '"\'\uFF1D1+1"'],
])('a name %j is exported as text', (who, cell) => {
  expect(cellOf(historyCsv([line(who)]))).toBe(cell);
});

test('an ordinary name is exported as it is (the comparison can fail)', () => {
  expect(cellOf(historyCsv([line('Dr Claire MARTIN — Médecin généraliste')]))).toBe('"Dr Claire MARTIN — Médecin généraliste"');
});
