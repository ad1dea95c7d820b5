// The scan benchmark's table: per row the median raw figure, the median scangate figure
// and their ratio (scangate time / raw time: above 1.0 scangate is slower), with PASS/MISS
// on the rows the issue sets a target for.
import { median } from './report.js';
import type { ScanMeasurement } from './scan-scenarios.js';

export const LATENCY_RATIO_TARGET = 1.1;

export interface RowSpec {
  row: string;
  title: string;
  /** Seconds (time to pullable) or MB/s (throughput). */
  unit: 's' | 'MB/s';
  /** Whether the 1.10 target applies (the rest are for reference). */
  target: boolean;
  /**
   * Whether clamd scans one stream at a time on both sides, so that its threads' run-queue
   * wait is time lost from the wall clock and can be taken out (see ratioLessWaits).
   */
  oneScanAtATime: boolean;
}

export interface ScanRow extends RowSpec {
  raw: number;
  scangate: number;
  /** scangate seconds / raw seconds. */
  ratio: number;
  /**
   * The same ratio with each side's wall time less the time clamd waited for a core: what
   * is left is scanning, I/O and the gate's own waits, so other work on the machine (which
   * hits one side more than the other) drops out. One-scan-at-a-time rows only.
   */
  ratioLessWaits?: number;
  /**
   * Medians of wall time less clamd's CPU time and run-queue wait (raw / scangate side):
   * time clamd was neither scanning nor waiting for a core, i.e. waiting for bytes or for
   * the next job. The gate's own cost, in seconds. One-scan-at-a-time rows only.
   */
  clamdIdle?: [number, number];
  verdict?: 'PASS' | 'MISS';
  /** Medians of clamd's CPU seconds (raw / scangate side) and scangate's own. */
  clamdCpuRaw: number;
  clamdCpuGate: number;
  /** Medians of the seconds clamd's threads waited for a core (raw / scangate side). */
  clamdWaitRaw: number;
  clamdWaitGate: number;
  scangateCpu: number;
}

export interface ScanSummary {
  startedAt: string;
  repetitions: number;
  load: { start: number; end: number; cores: number };
  rows: ScanRow[];
  notes: string[];
  measurements: ScanMeasurement[];
}

export function summarizeScanRow(spec: RowSpec, all: ScanMeasurement[]): ScanRow | undefined {
  const mine = all.filter((m) => m.row === spec.row);
  if (!mine.some((m) => m.side === 'raw') || !mine.some((m) => m.side === 'scangate')) return undefined;
  const of = (side: ScanMeasurement['side'], pick: (m: ScanMeasurement) => number) => median(mine.filter((m) => m.side === side).map(pick));
  const rawSeconds = of('raw', (m) => m.seconds);
  const gateSeconds = of('scangate', (m) => m.seconds);
  const ratio = gateSeconds / rawSeconds;
  const lessWaits = (side: ScanMeasurement['side']) => of(side, (m) => m.seconds - (m.detail.clamdRunQueueS ?? Number.NaN));
  const idle = (side: ScanMeasurement['side']) =>
    of(side, (m) => m.seconds - (m.detail.clamdRunQueueS ?? Number.NaN) - (m.detail.clamdCpuS ?? Number.NaN));
  const asUnit = (side: ScanMeasurement['side'], seconds: number) =>
    spec.unit === 's' ? seconds : of(side, (m) => m.bytes / 1e6 / m.seconds);
  return {
    ...spec,
    raw: asUnit('raw', rawSeconds),
    scangate: asUnit('scangate', gateSeconds),
    ratio,
    ...(spec.oneScanAtATime ? { ratioLessWaits: lessWaits('scangate') / lessWaits('raw'), clamdIdle: [idle('raw'), idle('scangate')] } : {}),
    ...(spec.target ? { verdict: ratio <= LATENCY_RATIO_TARGET ? ('PASS' as const) : ('MISS' as const) } : {}),
    clamdCpuRaw: of('raw', (m) => m.detail.clamdCpuS ?? Number.NaN),
    clamdCpuGate: of('scangate', (m) => m.detail.clamdCpuS ?? Number.NaN),
    clamdWaitRaw: of('raw', (m) => m.detail.clamdRunQueueS ?? Number.NaN),
    clamdWaitGate: of('scangate', (m) => m.detail.clamdRunQueueS ?? Number.NaN),
    scangateCpu: of('scangate', (m) => m.detail.scangateCpuS ?? Number.NaN),
  };
}

export function renderScanTable(summary: ScanSummary): string {
  const header = ['scenario', 'raw clamd', 'scangate', 'ratio', 'target', 'ratio less waits', 'clamd idle s raw/gate', 'clamd CPU s raw/gate', 'clamd waited for a core s', 'scangate CPU s'];
  const figure = (value: number, unit: RowSpec['unit']) => (unit === 's' ? `${value.toFixed(2)} s` : `${value.toFixed(1)} MB/s`);
  const body = summary.rows.map((row) => [
    row.title,
    figure(row.raw, row.unit),
    figure(row.scangate, row.unit),
    row.ratio.toFixed(2),
    row.verdict ? `${row.verdict} (<= ${LATENCY_RATIO_TARGET.toFixed(2)})` : '-',
    row.ratioLessWaits === undefined ? '-' : row.ratioLessWaits.toFixed(2),
    row.clamdIdle ? `${row.clamdIdle[0].toFixed(2)} / ${row.clamdIdle[1].toFixed(2)}` : '-',
    `${row.clamdCpuRaw.toFixed(1)} / ${row.clamdCpuGate.toFixed(1)}`,
    `${row.clamdWaitRaw.toFixed(2)} / ${row.clamdWaitGate.toFixed(2)}`,
    row.scangateCpu.toFixed(2),
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...body.map((line) => (line[i] ?? '').length)));
  const format = (line: string[]) => line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const lines = [format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(format)];
  const { load } = summary;
  const busy = Math.max(load.start, load.end) > load.cores;
  lines.push(
    `load average ${load.start.toFixed(2)} -> ${load.end.toFixed(2)} on ${load.cores} cores` +
      (busy ? ': other work shared the machine, so treat the figures as rough' : ''),
  );
  lines.push(...summary.notes);
  lines.push(
    `medians of ${summary.repetitions} repetition(s); ratio = scangate time / raw clamd time (<= 1.0: no slower than clamd alone); MB = 10^6 bytes`,
  );
  return lines.join('\n');
}
