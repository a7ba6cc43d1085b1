/** A stream that may be a terminal (process.stderr is a tty.WriteStream when attached to one). */
export type OutputStream = NodeJS.WritableStream & { readonly isTTY?: boolean };

/** Step lines for people, and, on a terminal, a spinner with what is being waited for. */
export interface Progress {
  /** One finished step: a line that stays. */
  line(text: string): void;
  /** What is happening now (a terminal shows it on a spinner line; elsewhere it is dropped). */
  status(text: string): void;
  /** Removes the spinner line and stops its timer. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;

/**
 * Progress on `stream`: plain lines when piped (logs and CI stay readable), plus a redrawn spinner line on a TTY.
 * The spinner's timer is unref'd, so it never keeps the process alive.
 */
export function createProgress(stream: OutputStream, options: { readonly spinner?: boolean } = {}): Progress {
  const spinner = options.spinner ?? stream.isTTY === true;
  let current = '';
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;

  const clear = () => {
    if (spinner && current !== '') stream.write('\r\x1b[2K');
  };
  const draw = () => {
    if (!spinner || current === '') return;
    stream.write(`\r\x1b[2K${FRAMES[frame % FRAMES.length]} ${current}`);
    frame += 1;
  };

  return {
    line(text) {
      clear();
      stream.write(`${text}\n`);
      draw();
    },
    status(text) {
      if (!spinner) return;
      const first = current === '';
      current = text;
      // Redrawn by the timer only: callers may update the text far more often than a terminal needs.
      timer ??= setInterval(draw, FRAME_MS).unref();
      if (first) draw();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      clear();
      current = '';
    },
  };
}

/** `4m 05s`, `1h 02m`, `12s`: durations as an operator reads them. */
export function formatDuration(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  const total = Math.max(0, Math.round(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}
