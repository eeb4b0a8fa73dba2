// CSV as RFC 4180 writes it (CRLF line ends; a field with a comma, quote, CR or LF is quoted
// and its quotes doubled) and as spreadsheets read it safely: a text cell that a spreadsheet
// would take for a formula (= + - @, tab, CR, or their full-width forms) gets a leading `'`
// (OWASP "CSV injection"). Host-provided text (package names, hostnames) ends up in these cells.

export type CsvValue =
  | string
  | number
  | boolean
  | bigint
  | Date
  | null
  | undefined
  | readonly string[];

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  // Numbers are written by us, not by a host: -1 stays a number, not a neutralised formula.
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  const text = typeof value === 'string' ? value : value.join(';');
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A header line and one line per row, every line ending in CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Inventory rows (objects) as CSV. The columns are `columns`, or the keys of the first row;
 * a key missing from a row is an empty cell.
 */
export function inventoryCsv(
  rows: readonly Readonly<Record<string, CsvValue>>[],
  columns: readonly string[] = Object.keys(rows[0] ?? {}),
): string {
  return toCsv(
    columns,
    rows.map((row) => columns.map((column) => row[column])),
  );
}
