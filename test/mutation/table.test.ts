import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { README_SCORES_END, README_SCORES_START, renderAreaTable, renderMutationTable } from './table.ts';

// stryker.config.mjs has no type declarations: read the one key used here through a typed variable.
const strykerConfig: { mutate: string[] } = (await import(pathToFileURL('stryker.config.mjs').href)).default;
const report = JSON.parse(readFileSync('test/mutation/stryker-incremental.json', 'utf8'));
/** Biome aligns Markdown tables: compare the cells, not the padding. */
const cells = (markdown: string) =>
  markdown
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').replace(/-{3,}/g, '---').trim())
    .filter((line) => line !== '');

describe('Mutation scores (npm run mutate)', () => {
  it('measures every file the Stryker configuration mutates, and no other', () => {
    expect(Object.keys(report.files).sort()).toEqual([...strykerConfig.mutate].sort());
  });

  it('shows in docs/mutation.md exactly what the committed report holds', () => {
    // Prepare
    const docs = readFileSync('docs/mutation.md', 'utf8');
    const note = docs.split('\n').find((line) => line.startsWith('last run: '));

    // Act
    const rendered = renderMutationTable(report, (note ?? '').replace(/\.$/, ''));

    // Assess
    expect(note).toBeDefined();
    expect(cells(docs)).toEqual(cells(rendered));
  });

  it("shows the same scores in the README's testing section, per folder", () => {
    // Prepare
    const readme = readFileSync('README.md', 'utf8');
    const block = readme.slice(
      readme.indexOf(README_SCORES_START) + README_SCORES_START.length,
      readme.indexOf(README_SCORES_END),
    );

    // Assess
    expect(readme.indexOf(README_SCORES_START)).toBeGreaterThan(0);
    expect(cells(block)).toEqual(cells(renderAreaTable(report).join('\n')));
  });
});
