// Output of the listing commands: aligned text tables for people, JSON for scripts.

/** Columns padded to their widest cell; the last column is not padded. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

export function printTableOrJson(json: boolean | undefined, value: unknown, headers: readonly string[], rows: readonly (readonly string[])[]): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : renderTable(headers, rows));
}

/** A moment to the second, UTC, or `-` for none. */
export function formatMoment(moment: Date | null | undefined): string {
  return moment ? moment.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}
