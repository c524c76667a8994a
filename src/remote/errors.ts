// Why a job failed: the `reason` label of edgebench_benchmark_failures_total.
export const FAILURE_REASONS = ['timeout', 'connection', 'tool_missing', 'exit_status', 'parse', 'cancelled'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export class JobError extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    /** The tool's raw output, kept so a parse failure can be investigated. */
    readonly output?: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

/** Thrown by a parser when the output is the tool's own report of a failure (refused, busy, …). */
export class ToolReportedError extends Error {
  override name = 'ToolReportedError';
}
