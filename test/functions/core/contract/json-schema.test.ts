import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { restoreRequestJsonSchemaText } from '../../../../functions/core/contract/json-schema.ts';

describe('Contract: published JSON Schema', () => {
  it('is in sync with the zod schema (regenerate: npx node functions/core/contract/write-json-schema.ts)', () => {
    // Prepare
    const committed = readFileSync(
      new URL('../../../../functions/core/contract/restore-request.schema.json', import.meta.url),
      'utf8',
    );

    // Act
    const generated = restoreRequestJsonSchemaText();

    // Assess: the same document (the formatter may lay the committed file out differently)
    expect(JSON.parse(committed)).toEqual(JSON.parse(generated));
  });
});
