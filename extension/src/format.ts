// How sizes, rates and times read in the extension's views and tooltips.
import { t } from './l10n';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/**
 * Decimal units, as the website and storage are sold: 1 KB = 1,000 bytes. Unlike shared's
 * formatBytes (prose: "6 bytes", "1.2 MB"), compact ("B") and with one fixed decimal, so a progress
 * row ("2.5 MB of 10.0 MB") or a column of sizes keeps its width as it counts.
 */
export function formatBytesFixed(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytesFixed(bytesPerSecond)}/s`;
}

export function formatAgo(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 5) return t('just now');
  if (seconds < 60) return t('{0} s ago', seconds);
  if (seconds < 3600) return t('{0} min ago', Math.round(seconds / 60));
  if (seconds < 86_400) return t('{0} h ago', Math.round(seconds / 3600));
  return formatDate(at);
}

export function formatIn(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((at - now) / 1000));
  return seconds <= 1 ? t('now') : t('in {0} s', seconds);
}

/** A date and time in the person's locale. */
export function formatDate(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
