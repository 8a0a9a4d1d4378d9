// Sizes and dates in the words and units people read: "1.2 MB", "5 GB", "12 Mar 2026, 14:05".

export { formatBytes } from '@mydropbox/shared';

const DATE_FORMAT = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});

/** Dates in UTC, so the page reads the same wherever the server runs. */
export function formatDate(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '–';
  return `${DATE_FORMAT.format(new Date(ms))} UTC`;
}

/** The share of the quota in use, 0..100, never 0 once anything is stored so the bar shows. */
export function usagePercent(usedBytes: number, quotaBytes: number): number {
  if (quotaBytes <= 0) return 100;
  const pct = (usedBytes / quotaBytes) * 100;
  if (usedBytes > 0 && pct < 1) return 1;
  return Math.min(100, Math.round(pct));
}

/** "just now", "5 minutes ago", "yesterday"; older than a week falls back to the date. */
export function formatAgo(ms: number, now: number = Date.now()): string {
  if (!Number.isFinite(ms) || ms <= 0) return 'never';
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  if (days === 1) return 'yesterday';
  if (days < 7) return `${days} days ago`;
  return formatDate(ms);
}
