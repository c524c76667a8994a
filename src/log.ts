// JSON logs for machines, or logfmt as Prometheus' own binaries write it (--log.format); human-readable
// ones when a person watches the terminal and asked for neither.
import { pino } from 'pino';
import { logfmtStream } from './log-format.js';

export type { Logger } from 'pino';

/** The values of --log.level and --log.format, as node_exporter and blackbox_exporter spell them. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const LOG_FORMATS = ['logfmt', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function createLogger(level = process.env.EDGEBENCH_LOG_LEVEL ?? 'info', format?: LogFormat) {
  if (format === 'logfmt') {
    // go-kit's records carry no pid or hostname
    return pino({ level, base: null }, logfmtStream(pino.destination(2)));
  }
  if (format === undefined && process.stderr.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino({ level }, pino.destination(2));
}
