// Field types shared by the configuration schema and the benchmarks' own parameter schemas.
// Anything that may reach a shell is restricted to a conservative alphabet here, and quoted later.
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../remote/output-cap.js';
import { parseDuration } from './duration.js';

/** Node's timers hold at most 2^31-1 ms (24.8 days); a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
export const DAY_MS = 86_400_000;

/** A duration in ms: one that sets a timer is capped at 24 days, others may pass a larger cap. */
export const duration = (example: string, maxMs = MAX_TIMER_MS) =>
  z
    .string()
    .refine((s) => parseDuration(s) !== undefined, {
      message: `must be a duration such as "${example}" (units ms, s, m, h, d)`,
    })
    .refine((s) => (parseDuration(s) ?? 0) <= maxMs, { message: `must be at most ${Math.floor(maxMs / DAY_MS)}d` })
    .transform((s) => parseDuration(s) as number)
    .meta({ description: `Duration, e.g. "${example}"` });

/** A name that becomes a label value, a container name or a file name. */
export const safeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
  message: 'must be 1-64 characters of [A-Za-z0-9_.-], starting with a letter or digit',
});

/** An IPv4/IPv6 address or a DNS name. */
export const hostAddress = z
  .string()
  .refine((s) => isIP(s) !== 0 || /^[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*\.?$/.test(s), {
    message: 'must be an IP address or a host name',
  });

/** An absolute path on the DUT: no spaces, quotes, `..` or shell metacharacters. */
export const remotePath = z
  .string()
  .regex(/^\/[A-Za-z0-9._+/-]*$/, { message: 'must be an absolute path of [A-Za-z0-9._+/-]' })
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".."' });

export const positiveInt = (max: number) => z.number().int().min(1).max(max);

export const mode = z.enum(['native', 'lxc']);
export type Mode = z.infer<typeof mode>;

/** Words the shell runs itself whatever PATH holds: never a benchmark tool. */
const SHELL_WORDS = new Set(
  '. : break command continue eval exec exit export readonly return set shift source times trap unset if then else elif fi do done case esac while until for in'.split(
    ' ',
  ),
);

/** A tool on the DUT: a command name looked up in PATH, or an absolute path. */
export const toolPath = z
  .string()
  .regex(/^(?:\/[A-Za-z0-9._+/-]+|[A-Za-z0-9_][A-Za-z0-9._+-]*)$/, {
    message: 'must be a command name or an absolute path of [A-Za-z0-9._+/-], not starting with "-"',
  })
  .refine((p) => !p.split('/').some((seg) => seg === '.' || seg === '..'), { message: 'must not contain "." or ".." segments' })
  .refine((p) => !SHELL_WORDS.has(p), { message: 'must name a program, not a shell builtin or keyword' });

/**
 * How often a job repeats. A number is a fixed count; the object adapts as the Phoronix Test Suite
 * does: at least `min` runs, more while the relative standard deviation is above the threshold, at
 * most `max`, and optionally one discarded warm-up run first.
 */
export const repetitions = z.union([
  positiveInt(1000).transform((n) => ({ min: n, max: n, max_rsd_percent: 0, warmup: false })),
  z
    .strictObject({
      min: positiveInt(1000).default(3),
      max: positiveInt(1000).default(10),
      max_rsd_percent: z.number().min(0).max(100).default(3.5).meta({
        description: 'Keep repeating while stddev/mean exceeds this many percent (PTS: 3.5)',
      }),
      warmup: z.boolean().default(false).meta({ description: 'Run once first and discard the result' }),
    })
    .refine((r) => r.max >= r.min, { message: 'max must be at least min', path: ['max'] }),
]);
export type Repetitions = z.output<typeof repetitions>;

export const tcpPort = z.number().int().min(1).max(65535);

/** What one command of a job may print, per stream; past it the job fails with output_too_large. */
export const maxOutputBytes = positiveInt(1 << 30)
  .default(DEFAULT_MAX_OUTPUT_BYTES)
  .meta({ description: 'Bytes a command may print on stdout, and again on stderr; past it the job fails (output_too_large)' });
