import * as z from 'zod';
import { restoreRequestFields, restoreRequestJsonSchemaRules } from './restore-request.ts';

export const RESTORE_REQUEST_SCHEMA_ID = 'urn:atlas-restore-orchestrator:restore-request:v1';

/** The published JSON Schema of the restore request: fields from zod, cross-field rules as `allOf`. */
export function restoreRequestJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(restoreRequestFields, { io: 'input', target: 'draft-2020-12' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: RESTORE_REQUEST_SCHEMA_ID,
    title: 'Atlas restore request',
    description:
      'Asks atlas-restore-orchestrator to restore a MongoDB Atlas cloud-backup snapshot. Generated from functions/core/contract/restore-request.ts; do not edit by hand.',
    ...rest,
    allOf: restoreRequestJsonSchemaRules,
  };
}

/** The committed file's text: stable key order, two-space indent, trailing newline. */
export function restoreRequestJsonSchemaText(): string {
  return `${JSON.stringify(restoreRequestJsonSchema(), null, 2)}\n`;
}
