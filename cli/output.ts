/**
 * What the CLI prints on stdout: `-o table` (aligned columns under a header, as
 * kubectl prints them), `-o json` and `-o yaml` (the API's own objects, so scripts get
 * exactly what the API said). Hints and progress go to stderr, never into the data.
 */
import { dump } from 'js-yaml';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
}

/** Columns padded to their widest cell, three spaces apart, the last one unpadded. */
export function renderTable<T>(columns: Column<T>[], rows: T[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => cellText(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells.map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ').trimEnd()).join('\n') + '\n';
}

function cellText(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '<none>';
  return String(value);
}

export function serialize(format: 'json' | 'yaml', value: unknown): string {
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : dump(value, { lineWidth: -1 });
}

export interface Printer {
  format: OutputFormat;
  /** One resource: a one-row table, or the object itself. */
  one<T>(item: T, columns: Column<T>[]): void;
  /** A list: the table of its items ("No … found." on stderr when empty), or the API's `{ items, nextCursor }`. */
  list<T>(page: { items: T[]; nextCursor: string | null }, columns: Column<T>[], noun: string): void;
  /** Data that is the same in every format (a kubeconfig) or a sentence for people. */
  text(line: string): void;
  /** A remark for people that must stay out of the data: stderr. */
  note(line: string): void;
}

export function printer(format: OutputFormat, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Printer {
  return {
    format,
    one(item, columns) {
      stdout.write(format === 'table' ? renderTable(columns, [item]) : serialize(format, item));
    },
    list(page, columns, noun) {
      if (format !== 'table') {
        stdout.write(serialize(format, page));
        return;
      }
      if (page.items.length === 0) stderr.write(`No ${noun} found.\n`);
      else stdout.write(renderTable(columns, page.items));
      if (page.nextCursor) stderr.write(`More ${noun}: --cursor ${page.nextCursor}, or --all for every page.\n`);
    },
    text(line) {
      stdout.write(line.endsWith('\n') ? line : `${line}\n`);
    },
    note(line) {
      stderr.write(`${line}\n`);
    },
  };
}

/** kubectl's AGE: the largest unit that fits (42s, 5m, 3h, 12d). */
export function age(timestamp: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
