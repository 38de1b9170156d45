import { stripVTControlCharacters } from "node:util";

/**
 * The seed's table: one header line, columns separated by " | " and aligned by their visible width (colour codes
 * do not count), no borders. Linear in the cells: 10 000 rows take milliseconds (cli-table3 took 2 s).
 */
export function renderTable(headers: string[], rows: string[][]): string {
  const visible = (cell: string) => stripVTControlCharacters(cell).length;
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => visible(row[column] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + " ".repeat(widths[column] - visible(cell))))
      .join(" | ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}
