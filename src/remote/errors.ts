// Why a job failed: the `reason` label of edgebench_benchmark_failures_total.
import { boundedMessage, excerpt } from './output-cap.js';

export const FAILURE_REASONS = ['timeout', 'connection', 'tool_missing', 'exit_status', 'parse', 'cancelled', 'output_too_large'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export class JobError extends Error {
  /** The tool's raw output, kept so a failure can be investigated: its head and tail when it is long. */
  readonly output?: string;

  constructor(
    readonly reason: FailureReason,
    message: string,
    output?: string,
  ) {
    // messages quote what the DUT printed: a hostile one must not fill a log line or a journal row
    super(boundedMessage(message));
    this.name = 'JobError';
    if (output !== undefined) this.output = excerpt(output);
  }
}

/** Thrown by a parser when the output is the tool's own report of a failure (refused, busy, …). */
export class ToolReportedError extends Error {
  override name = 'ToolReportedError';
}
