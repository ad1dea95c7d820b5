// Turns raw measurements into the printed table and the JSON summary. Figures are medians
// over repetitions; a ratio is candidate / peer, so above 1.0 means the candidate is faster.
import type { Measurement } from './measure.js';

export const THROUGHPUT_RATIO_TARGET = 1.0;
export const PEAK_RSS_TARGET_BYTES = 150 * 1e6;

export interface Row {
  scenario: string;
  title: string;
  peerMBps: number;
  candidateMBps: number;
  ratio: number;
  verdict: 'PASS' | 'MISS';
  /** Medians of the servers' CPU seconds per GB moved (lower is leaner). */
  peerCpuSecondsPerGB: number;
  candidateCpuSecondsPerGB: number;
  /** The busiest the client got in any repetition of this row, in % of one core. */
  clientCpuPercentMax: number;
}

export interface RssLine {
  label: string;
  peakBytes: number;
  verdict?: 'PASS' | 'MISS';
}

export interface Summary {
  startedAt: string;
  peer: string;
  candidate: string;
  repetitions: number;
  /** 1-minute load averages at the start and the end, and the core count: a busy machine blurs figures. */
  load: { start: number; end: number; cores: number };
  rows: Row[];
  rss: RssLine[];
  measurements: Measurement[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function summarizeRow(scenario: string, title: string, peer: string, candidate: string, all: Measurement[]): Row {
  const mine = all.filter((m) => m.scenario === scenario);
  const medianOf = (label: string, pick: (m: Measurement) => number): number =>
    median(mine.filter((m) => m.registry === label).map(pick));
  const throughputOf = (label: string): number => medianOf(label, (m) => m.throughput);
  const peerMBps = throughputOf(peer);
  const candidateMBps = throughputOf(candidate);
  const ratio = candidateMBps / peerMBps;
  return {
    scenario,
    title,
    peerMBps,
    candidateMBps,
    ratio,
    verdict: ratio >= THROUGHPUT_RATIO_TARGET ? 'PASS' : 'MISS',
    peerCpuSecondsPerGB: medianOf(peer, (m) => m.serverCpuSecondsPerGB),
    candidateCpuSecondsPerGB: medianOf(candidate, (m) => m.serverCpuSecondsPerGB),
    clientCpuPercentMax: Math.max(...mine.map((m) => m.clientCpuPercent)),
  };
}

/** The peak resident memory of one registry over every measurement that sampled it. */
export function peakRss(label: string, all: Measurement[], withTarget: boolean): RssLine {
  const peaks = all
    .filter((m) => m.registry === label && m.rss)
    .map((m) => Math.max(m.rss?.sampledPeakBytes ?? 0, m.rss?.highWaterMarkBytes ?? 0));
  const peakBytes = Math.max(0, ...peaks);
  if (!withTarget) return { label, peakBytes };
  return { label, peakBytes, verdict: peakBytes <= PEAK_RSS_TARGET_BYTES ? 'PASS' : 'MISS' };
}

export function renderTable(summary: Summary): string {
  const header = ['scenario', `${summary.peer} MB/s`, `${summary.candidate} MB/s`, 'ratio', 'target', 'server CPU s/GB', 'client CPU'];
  const body = summary.rows.map((row) => [
    row.title,
    row.peerMBps.toFixed(0),
    row.candidateMBps.toFixed(0),
    row.ratio.toFixed(2),
    `${row.verdict} (>= ${THROUGHPUT_RATIO_TARGET.toFixed(1)})`,
    `${row.peerCpuSecondsPerGB.toFixed(2)} / ${row.candidateCpuSecondsPerGB.toFixed(2)}`,
    `${row.clientCpuPercentMax.toFixed(0)}%`,
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...body.map((line) => (line[i] ?? '').length)));
  const format = (line: string[]): string =>
    line.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const lines = [format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(format)];
  for (const rss of summary.rss) {
    const target = rss.verdict ? `  ${rss.verdict} (<= ${PEAK_RSS_TARGET_BYTES / 1e6} MB)` : '  (for reference)';
    lines.push(`peak RSS of ${rss.label} during the big-blob transfers: ${(rss.peakBytes / 1e6).toFixed(1)} MB${target}`);
  }
  const busy = summary.rows.filter((row) => row.clientCpuPercentMax > 80);
  if (busy.length > 0) {
    lines.push(`note: the client used > 80% of a core in: ${busy.map((row) => row.scenario).join(', ')}; ` +
      'it may be what limits those rows');
  }
  if (Math.max(summary.load.start, summary.load.end) > summary.load.cores) {
    lines.push(`note: load average ${summary.load.start.toFixed(1)} -> ${summary.load.end.toFixed(1)} on ` +
      `${summary.load.cores} cores; other work shared the machine, so treat the figures as rough`);
  }
  lines.push(`medians of ${summary.repetitions} repetition(s); ratio = ${summary.candidate} / ${summary.peer}; MB = 10^6 bytes; ` +
    `server CPU s/GB = ${summary.peer} / ${summary.candidate}, all threads`);
  return lines.join('\n');
}
