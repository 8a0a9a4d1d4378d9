// Sizes in the words and units people read ("6 bytes", "1.2 MB", "5 GB"), the same on the website and in server messages.

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

/** Decimal units, as storage is sold and as the 5 GB quota is counted. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes === 1) return '1 byte';
  if (bytes < 1000) return `${bytes} bytes`;
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const shown = value >= 100 || Number.isInteger(value) ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${UNITS[unit]}`;
}
