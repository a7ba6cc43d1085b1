/**
 * The Node.js versions the CLI runs on, as package.json's `engines.node` states them (`>=MAJOR`), and the check its
 * installed entry point makes before loading anything else: an older Node gets one line saying what to install,
 * rather than a syntax or module error from deep inside the bundle.
 */
export function unsupportedNodeMessage(version: string, range: string): string | undefined {
  const minimum = /^>=\s*(\d+)(?:\.(\d+))?/.exec(range.trim());
  const running = /^v?(\d+)\.(\d+)/.exec(version);
  if (minimum === null || running === null) return undefined;
  const [wantMajor, wantMinor] = [Number(minimum[1]), Number(minimum[2] ?? 0)];
  const [major, minor] = [Number(running[1]), Number(running[2])];
  if (major > wantMajor || (major === wantMajor && minor >= wantMinor)) return undefined;
  return `needs Node.js ${range.trim()}, but this is Node.js ${version.replace(/^v?/, 'v')}: install Node.js ${wantMajor} or later (https://nodejs.org) and run it again`;
}
