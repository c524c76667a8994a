// Repetition statistics: the paper averages repeated runs; the spread goes out as `_stddev`.
export interface Statistics {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for a single value. */
  stddev: number;
  /** How many values the mean is over. */
  count: number;
}

export function statistics(values: readonly number[]): Statistics {
  if (values.length === 0) throw new Error('statistics of no values');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sq = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, stddev: values.length > 1 ? Math.sqrt(sq / (values.length - 1)) : 0, count: values.length };
}
