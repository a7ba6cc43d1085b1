/**
 * `node synthesize-template.ts FILE`: synthesizes the stack from the sample configuration in cdk.json, in-process as
 * test/infra does, and writes its template to FILE. Run as a child process by deployed.ts, so that the processes
 * reading the template never load aws-cdk-lib.
 */
import { writeFileSync } from 'node:fs';
import { sampleConfig, synthesize } from '../../infra/synth.ts';

const [file] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: synthesize-template.ts FILE');
writeFileSync(file, JSON.stringify(synthesize(sampleConfig()).template.toJSON()));
