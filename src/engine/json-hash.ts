// Which settings produced a result: SHA-256 of a configuration value (defaults applied) as JSON,
// for the journal's whole DUT and for each benchmark's parameters in /metrics.
import { createHash } from 'node:crypto';

export function jsonSha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** The first 12 hex digits: enough to tell a benchmark's parameter sets apart in a label. */
export const parametersHash = (params: unknown): string => jsonSha256(params).slice(0, 12);
