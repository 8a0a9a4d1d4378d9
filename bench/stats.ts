// Summaries of repeated measurements (median, min, max, p95) and how figures are printed.

export interface Summary {
  median: number;
  min: number;
  max: number;
  p95: number;
  n: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  const mid = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { median: mid, min: s[0]!, max: s[s.length - 1]!, p95: at(0.95), n: s.length };
}

export type Unit = 's' | 'ms' | 'MiB/s' | 'bytes' | 'MB';

export function formatValue(value: number, unit: Unit): string {
  switch (unit) {
    case 's':
      return value < 10 ? value.toFixed(3) : value.toFixed(1);
    case 'ms':
      return value.toFixed(value < 10 ? 1 : 0);
    case 'MiB/s':
      return value.toFixed(0);
    case 'MB':
      return value.toFixed(1);
    case 'bytes':
      return Math.round(value).toLocaleString('en-US');
  }
}

/** "1.234 (1.1–1.4)" or just the value when there is one sample or no spread. */
export function formatSummary(s: Summary | undefined, unit: Unit): string {
  if (!s) return '—';
  const m = formatValue(s.median, unit);
  if (s.n === 1 || s.min === s.max) return m;
  return `${m} (${formatValue(s.min, unit)}–${formatValue(s.max, unit)})`;
}

export function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '—';
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}
