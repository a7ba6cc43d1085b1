import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** One section of the bench: its figures (JSON), the tables that show them, and notes on how to read them. */
export type SectionResult =
  | {
      readonly section: string;
      readonly status: 'measured';
      readonly seconds: number;
      readonly data: unknown;
      readonly tables: readonly Table[];
      readonly notes: readonly string[];
    }
  | { readonly section: string; readonly status: 'not measured'; readonly reason: string; readonly seconds: number };

export interface BenchReport {
  readonly startedAt: string;
  readonly command: string;
  readonly environment: Readonly<Record<string, string | number>>;
  readonly sections: readonly SectionResult[];
}

export function notMeasured(section: string, reason: string, seconds = 0): SectionResult {
  return { section, status: 'not measured', reason, seconds };
}

export function renderMarkdown(report: BenchReport): string {
  const lines = [
    '# Benchmark results',
    '',
    `\`${report.command}\`, started ${report.startedAt}.`,
    '',
    Object.entries(report.environment)
      .map(([key, value]) => `${key}: ${value}`)
      .join(' · '),
    '',
  ];
  for (const section of report.sections) {
    lines.push(`## ${section.section}`, '');
    if (section.status === 'not measured') {
      lines.push(`Not measured: ${section.reason}`, '');
      continue;
    }
    for (const table of section.tables) {
      lines.push(`**${table.title}**`, '', markdownTable(table), '');
    }
    for (const note of section.notes) lines.push(`- ${note}`);
    if (section.notes.length > 0) lines.push('');
    lines.push(`_Section time: ${section.seconds.toFixed(1)} s._`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function markdownTable(table: Table): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  const header = `| ${table.columns.map(escapeCell).join(' | ')} |`;
  const rule = `| ${table.columns.map((_, index) => (index === 0 ? '---' : '---:')).join(' | ')} |`;
  const body = table.rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`);
  return [header, rule, ...body].join('\n');
}

/** Aligned plain-text tables for the terminal. */
export function renderText(report: BenchReport): string {
  const lines: string[] = [];
  for (const section of report.sections) {
    lines.push('', `== ${section.section} ==`);
    if (section.status === 'not measured') {
      lines.push(`not measured: ${section.reason}`);
      continue;
    }
    for (const table of section.tables) lines.push('', table.title, textTable(table));
    for (const note of section.notes) lines.push(`  * ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

function textTable(table: Table): string {
  const widths = table.columns.map((column, index) =>
    Math.max(column.length, ...table.rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0)))
      .join('  ');
  return [line(table.columns), line(widths.map((width) => '-'.repeat(width))), ...table.rows.map(line)].join('\n');
}

export async function writeReport(report: BenchReport, jsonPath: string, markdownPath: string): Promise<void> {
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(markdownPath, renderMarkdown(report));
}

/** Number formatting shared by the sections. */
export const format = {
  ms: (value: number) => (Number.isFinite(value) ? `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms` : 'n/a'),
  ratio: (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a'),
  kib: (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`,
  int: (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a'),
  seconds: (value: number) =>
    Number.isFinite(value) ? `${value < 10 ? value.toFixed(1) : Math.round(value)} s` : 'n/a',
  usd: (value: number) => (Number.isFinite(value) ? `$${value < 1 ? value.toPrecision(3) : value.toFixed(2)}` : 'n/a'),
};
