/** Regenerates restore-request.schema.json: `npx node functions/core/contract/write-json-schema.ts`. */
import { writeFileSync } from 'node:fs';
import { restoreRequestJsonSchemaText } from './json-schema.ts';

const target = new URL('./restore-request.schema.json', import.meta.url);
writeFileSync(target, restoreRequestJsonSchemaText());
console.log(`wrote ${target.pathname}`);
