/**
 * Vitest global setup: synthesizes the stack once for the whole run and hands the template to every test file
 * through a file named in the environment, so that each file (vitest isolates their modules) does not synthesize it
 * again. deployedTemplate() synthesizes in-process when the variable is absent (npm start, the soak, the bench).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLATFORM_TEMPLATE_FILE, synthesizeTemplate } from './deployed.ts';

export default function setup(): () => void {
  const directory = mkdtempSync(join(tmpdir(), 'atlas-restore-template-'));
  const file = join(directory, 'template.json');
  writeFileSync(file, JSON.stringify(synthesizeTemplate()));
  process.env[PLATFORM_TEMPLATE_FILE] = file;
  return () => rmSync(directory, { recursive: true, force: true });
}
