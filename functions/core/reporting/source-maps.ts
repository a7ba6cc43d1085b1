/**
 * Stack traces mapped to the sources when they are logged, not at every cold start. The bundle ships its source map
 * (index.mjs.map) beside it, but the function starts without --enable-source-maps: that flag made Node read and
 * index the map at init (~14 ms of every cold start, issue 17). Here the map is read on the first logged stack and
 * kept for the life of the execution environment; a stack with no mapped frame costs a regular expression.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | null>();

/** The source map beside a bundled file, read once; null when it has none or it cannot be read. */
function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return map;
}

/** A frame's location in a bundled ES module or script: file URL, line, column (1-based). */
const FRAME = /(file:\/\/[^\s()]+?\.[cm]?js):(\d+):(\d+)/g;

/** The stack with each frame of a file that has a source map replaced by its source location; others untouched. */
export function originalStack(stack: string): string {
  return stack.replace(FRAME, (frame, url: string, line: string, column: string) => {
    let file: string;
    try {
      file = fileURLToPath(url);
    } catch {
      return frame;
    }
    const origin = mapOf(file)?.findOrigin(Number(line), Number(column));
    if (origin === undefined || !('fileName' in origin)) return frame;
    return `${origin.fileName}:${origin.lineNumber}:${origin.columnNumber}`;
  });
}
