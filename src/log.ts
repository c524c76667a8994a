// JSON logs for machines; human-readable ones when a person watches the terminal.
import { pino } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level = process.env.EDGEBENCH_LOG_LEVEL ?? 'info') {
  if (process.stderr.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino({ level }, pino.destination(2));
}
