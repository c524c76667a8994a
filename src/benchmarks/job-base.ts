// What every job of a benchmark shares; a benchmark's own `repetitions` overrides the default.
import type { Repetitions } from '../config/fields.js';
import type { ResultFamily } from './benchmark.js';
import type { JobBase } from './job.js';

export function jobBase(
  benchmark: string,
  family: ResultFamily,
  params: { repetitions?: Repetitions | undefined; timeout: number; max_output_bytes: number },
  defaults: { repetitions: Repetitions },
): JobBase {
  return {
    benchmark,
    family: family.name,
    repetitions: params.repetitions ?? defaults.repetitions,
    timeoutMs: params.timeout,
    maxOutputBytes: params.max_output_bytes,
  };
}
