import { describe, expect, it } from 'vitest';
import { csvCell, inventoryCsv, toCsv } from '../../../cli/export/csv.ts';

// A minimal RFC 4180 reader, to check that what we write reads back to the same cells.
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return rows;
}

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ['', ''],
  ])('%j → %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('writes numbers, booleans, dates, lists and nulls', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(10n)).toBe('10');
    expect(csvCell(true)).toBe('true');
    expect(csvCell(new Date('2026-11-29T10:00:00Z'))).toBe('2026-11-29T10:00:00.000Z');
    expect(csvCell(['web', 'db'])).toBe('web;db');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });
});

describe('inventoryCsv', () => {
  const rows = [
    {
      host: 'web01',
      address: '192.0.2.1',
      port: 22,
      groups: ['prod', 'web'],
      os: 'Debian GNU/Linux 12 (bookworm)',
    },
    { host: '=cmd|"/c calc"!A1', address: '192.0.2.2', port: 2222, groups: [], os: null },
  ];

  it('writes a header and CRLF-terminated records that read back to the same cells', () => {
    const csv = inventoryCsv(rows);
    expect(csv).toBe(
      'host,address,port,groups,os\r\n' +
        'web01,192.0.2.1,22,prod;web,Debian GNU/Linux 12 (bookworm)\r\n' +
        `"'=cmd|""/c calc""!A1",192.0.2.2,2222,,\r\n`,
    );
    expect(readCsv(csv)).toEqual([
      ['host', 'address', 'port', 'groups', 'os'],
      ['web01', '192.0.2.1', '22', 'prod;web', 'Debian GNU/Linux 12 (bookworm)'],
      [`'=cmd|"/c calc"!A1`, '192.0.2.2', '2222', '', ''],
    ]);
  });

  it('takes the columns given, in their order; missing keys are empty', () => {
    expect(inventoryCsv(rows, ['port', 'host', 'missing'])).toBe(
      `port,host,missing\r\n22,web01,\r\n2222,"'=cmd|""/c calc""!A1",\r\n`,
    );
    expect(inventoryCsv([])).toBe('\r\n');
    expect(toCsv(['a'], [])).toBe('a\r\n');
  });
});
