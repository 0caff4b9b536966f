/**
 * The few statistics the benchmark needs, written out so that what "median" and "p99" mean here
 * is plain: the median of an even count is the mean of the middle two; a percentile is the
 * nearest-rank value (the smallest sample with at least p% of samples at or below it).
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Nearest-rank percentile of samples already sorted ascending; NaN when there are none. */
export function percentileOfSorted(sorted: ArrayLike<number>, percent: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((percent / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** Rounded to `digits` decimals; NaN and infinities become null so that the JSON stays valid. */
export function rounded(value: number, digits = 1): number | null {
  if (!Number.isFinite(value)) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** a ÷ b, or NaN when b is not a positive number (a target that served nothing has no ratio). */
export const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN);
