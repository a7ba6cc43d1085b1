/**
 * Everything the function writes to stdout and stderr: Powertools Logger and Metrics write there through their own
 * Console, exactly as in Lambda. Captured lines are kept (or handed to `onText`) and not printed.
 */
export class LogCapture {
  readonly #chunks: string[] = [];
  readonly #keep: boolean;
  readonly #onText: ((text: string) => void) | undefined;
  #restore: (() => void) | undefined;

  constructor(options: { keep?: boolean; onText?: (text: string) => void } = {}) {
    this.#keep = options.keep ?? true;
    this.#onText = options.onText;
  }

  start(): this {
    if (this.#restore) return this;
    const streams = [process.stdout, process.stderr] as const;
    const originals = streams.map((stream) => stream.write);
    for (const stream of streams) {
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        if (this.#keep) this.#chunks.push(text);
        this.#onText?.(text);
        const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof stream.write;
    }
    this.#restore = () => {
      streams.forEach((stream, index) => {
        stream.write = originals[index] as typeof stream.write;
      });
    };
    return this;
  }

  stop(): void {
    this.#restore?.();
    this.#restore = undefined;
  }

  text(): string {
    return this.#chunks.join('');
  }

  /** The JSON log lines (Powertools writes one object per line). */
  records(): Record<string, unknown>[] {
    return this.text()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  clear(): void {
    this.#chunks.length = 0;
  }
}

/** Simulator access tokens are `sim_` and 43 base64url characters. */
const LEAK_PATTERNS: readonly [string, RegExp][] = [
  ['a simulator access token', /sim_[A-Za-z0-9_-]{20,}/],
  ['a bearer credential', /\bBearer\s+[A-Za-z0-9._~+/-]{8,}/i],
  ['HTTP Basic credentials', /\bBasic\s+[A-Za-z0-9+/]{8,}={0,2}/],
  ['a Digest response', /\bDigest\s+username=/i],
];

/** Secrets that must never reach the output: literal values (and their base64 forms) and credential shapes. */
export class SecretWatch {
  readonly #literals = new Map<string, string>();

  /** Watches `value` (and, for pairs, the base64 of `id:secret` an HTTP Basic header would carry). */
  add(kind: string, value: string | undefined): void {
    if (value === undefined || value.length < 6) return;
    this.#literals.set(value, kind);
    this.#literals.set(JSON.stringify(value).slice(1, -1), kind);
  }

  addBasicPair(id: string, secret: string): void {
    this.#literals.set(Buffer.from(`${id}:${secret}`).toString('base64'), 'base64 of id:secret');
  }

  /** What leaked, described without repeating the secret. */
  leaksIn(text: string): string[] {
    const leaks: string[] = [];
    for (const [literal, kind] of this.#literals) if (text.includes(literal)) leaks.push(kind);
    for (const [kind, pattern] of LEAK_PATTERNS) if (pattern.test(text)) leaks.push(kind);
    return [...new Set(leaks)];
  }
}
