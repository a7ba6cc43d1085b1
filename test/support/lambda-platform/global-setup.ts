/**
 * Vitest global setup: makes sure the stack's template for the current sources exists (synthesizing it if not) and
 * names its file for every test file, so that none synthesizes or hashes the sources again.
 */
import { deployedTemplateFile, PLATFORM_TEMPLATE_FILE } from './deployed.ts';

export default function setup(): void {
  process.env[PLATFORM_TEMPLATE_FILE] = deployedTemplateFile();
}
