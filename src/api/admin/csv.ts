/**
 * CSV (RFC 4180) for the console's exports. A cell a spreadsheet would run as a formula (=, +, -, @, tab,
 * carriage return first: OWASP "CSV Injection") gets a leading apostrophe: message texts and sender names are
 * whatever a stranger sent. A plain phone number (`+3612345`) is no formula and stays as it is.
 */
export function csvLine(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !/^\+[0-9]+$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
