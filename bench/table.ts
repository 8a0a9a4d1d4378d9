// The one results table: each figure beside the floor, rsync and rclone, its ratios and whether it meets its target.
import os from 'node:os';
import { formatRatio, formatSummary, type Summary, type Unit } from './stats';

export interface Row {
  workload: string; // W1 …
  figure: string;
  unit: Unit;
  ours?: Summary;
  floor?: Summary;
  floorLabel?: string;
  rsync?: Summary;
  rclone?: Summary;
  /** e.g. "≤ 1.5× rsync"; `met` decides it from the row's medians. */
  target?: string;
  met?: (row: Row) => boolean | undefined;
}

const ratio = (a?: Summary, b?: Summary) => (a && b && b.median !== 0 ? a.median / b.median : undefined);

export function ratioToRsync(row: Row): number | undefined {
  return ratio(row.ours, row.rsync);
}

export function renderTable(rows: readonly Row[]): string {
  const head = [
    'Workload',
    'Figure',
    'MyDropbox median (min–max)',
    'Floor',
    'rsync',
    'rclone',
    'MyDropbox ÷ floor',
    'MyDropbox ÷ rsync',
    'Target',
    'Met',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const met = r.met?.(r);
    const cells = [
      r.workload,
      `${r.figure} (${r.unit})`,
      formatSummary(r.ours, r.unit),
      r.floor ? `${formatSummary(r.floor, r.unit)}${r.floorLabel ? ` ${r.floorLabel}` : ''}` : '—',
      formatSummary(r.rsync, r.unit),
      formatSummary(r.rclone, r.unit),
      formatRatio(ratio(r.ours, r.floor)),
      formatRatio(ratio(r.ours, r.rsync)),
      r.target ?? '—',
      met === undefined ? '—' : met ? 'yes' : 'no',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function renderReport(opts: {
  title: string;
  mode: string;
  startedAt: Date;
  seconds: number;
  rows: readonly Row[];
  notes: string[];
  commit: string;
  load: number[][];
}): string {
  const [l0, l1] = opts.load;
  return [
    `# ${opts.title}`,
    '',
    `${opts.startedAt.toISOString()} · ${opts.mode} · commit ${opts.commit} · Node ${process.version} · ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}) · ` +
      `load average ${l0!.map((x) => x.toFixed(1)).join('/')} at start, ${l1!.map((x) => x.toFixed(1)).join('/')} at end · ${opts.seconds.toFixed(0)} s`,
    '',
    renderTable(opts.rows),
    '',
    ...opts.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}
