// A one-line progress bar on a terminal: redrawn in place at most ten times a second, and
// nothing at all when the stream is not a TTY (logs and CI output stay clean).

export interface ProgressBar {
  update(done: number, total: number, detail?: string): void;
  /** Clears the line, so the summary printed next starts on a clean one. */
  finish(): void;
}

const redrawEveryMs = 100;
const barWidth = 30;

export function progressBar(stream: NodeJS.WriteStream, label: string): ProgressBar {
  if (!stream.isTTY) return { update: () => {}, finish: () => {} };
  let lastDrawn = 0;
  let drawn = false;
  return {
    update(done, total, detail) {
      const now = Date.now();
      if (done < total && now - lastDrawn < redrawEveryMs) return;
      lastDrawn = now;
      drawn = true;
      stream.write(`\r\x1b[2K${renderProgress(label, done, total, detail)}`);
    },
    finish() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

/** `label [#######-------]  42% detail`, exported for tests. */
export function renderProgress(label: string, done: number, total: number, detail = ''): string {
  const fraction = total > 0 ? Math.min(done / total, 1) : 1;
  const filled = Math.round(fraction * barWidth);
  const percent = String(Math.floor(fraction * 100)).padStart(3);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${percent}% ${detail}`.trimEnd();
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
