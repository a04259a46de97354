import type { ScanProgress } from '../scan/runScan.js';
import { progressSummary } from '../scan/summary.js';

export interface ProgressLine {
  readonly onProgress: (progress: ScanProgress) => void;
  /** Prints a message on its own line, keeping the status line below it. */
  note(message: string): void;
  /** Clears the line before normal output resumes. */
  done(): void;
}

/** A single self-overwriting status line, only where a person is watching (a TTY). */
export function progressLine(stream: { isTTY?: boolean; write(text: string): unknown }): ProgressLine {
  if (!stream.isTTY) return { onProgress: () => undefined, note: (m) => stream.write(`${m}\n`), done: () => undefined };
  let status = '';
  return {
    onProgress: (progress) => {
      status = progressSummary(progress);
      stream.write(`\r\x1b[2K${status}`);
    },
    note: (message) => stream.write(`\r\x1b[2K${message}\n${status}`),
    done: () => stream.write('\r\x1b[2K'),
  };
}
