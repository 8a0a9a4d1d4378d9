// Reading one HTTP `Range: bytes=…` header against a file size (RFC 9110 §14).

export type RangeResult = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * The inclusive byte span asked for, 'unsatisfiable' (answer 416), or undefined to send the whole
 * file: no header, a malformed one, or several ranges (allowed to be ignored, and rarely useful).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}
