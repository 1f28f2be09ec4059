/** Where a command writes: stdout and stderr, and whether stderr is a terminal (progress display). */
export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** A terminal: a live progress bar (cli-progress); otherwise (CI logs, pipes) plain lines. */
  readonly errIsTTY: boolean;
  /** The terminal stream itself, for cli-progress (only read when errIsTTY). */
  readonly errStream?: NodeJS.WriteStream;
}

export const processIo: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  errIsTTY: Boolean(process.stderr.isTTY),
  errStream: process.stderr,
};
