// Field types shared by the configuration schema and the benchmarks' own parameter schemas.
// Anything that may reach a shell is restricted to a conservative alphabet here, and quoted later.
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../remote/output-cap.js';
import { DURATION_PATTERN, type DurationProblem, parseDurationResult } from './duration.js';

/** Node's timers hold at most 2^31-1 ms (24.8 days); a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
export const DAY_MS = 86_400_000;

const DURATION_HINTS: Partial<Record<DurationProblem, string>> = {
  'no unit': ': a number needs a unit (y, w, d, h, m, s, ms)',
  'unit order': ': units go from the largest to the smallest (y, w, d, h, m, s, ms)',
  'repeated unit': ': each unit at most once',
};

/**
 * Why a zero duration makes no sense, by the key that holds it: the benchmarks' schemas share one
 * field for their `duration` and `timeout`, so the reason is chosen where the key path is known.
 */
const ZERO_REASONS: Record<string, string> = {
  interval: 'a round would start again at once',
  connect_timeout: 'every connection would time out at once',
  timeout: 'every repetition would time out at once',
  duration: 'a test of no time measures nothing',
  retention: 'every job would be deleted after its round',
};
export const ZERO_DURATION = 'zero_duration';
export const zeroDurationMessage = (key: string) => {
  const reason = ZERO_REASONS[key];
  return reason === undefined ? 'must be more than 0' : `must be more than 0: ${reason}`;
};

/** A duration in ms, more than 0: one that sets a timer is capped at 24 days, others may pass a larger cap. */
export const duration = (example: string, maxMs = MAX_TIMER_MS) => {
  const expected = `must be a duration such as "${example}"`;
  const atMost = `must be at most ${Math.floor(maxMs / DAY_MS)}d`;
  return z
    .string({ error: expected })
    .superRefine((text, ctx) => {
      const parsed = parseDurationResult(text);
      const got = `, got ${JSON.stringify(text)}`;
      if ('problem' in parsed) {
        // Beyond 292 years, Prometheus's own bound, is beyond every cap here too.
        const message = parsed.problem === 'range' ? `${atMost}${got}` : `${expected}${got}${DURATION_HINTS[parsed.problem] ?? ''}`;
        ctx.addIssue({ code: 'custom', message, input: text });
      } else if (parsed.ms === 0) {
        ctx.addIssue({ code: 'custom', message: zeroDurationMessage(''), input: text, params: { [ZERO_DURATION]: true } });
      } else if (parsed.ms > maxMs) {
        ctx.addIssue({ code: 'custom', message: `${atMost}${got}`, input: text });
      }
    })
    .transform((s) => (parseDurationResult(s) as { ms: number }).ms)
    .meta({ description: `Duration, e.g. "${example}" (units y, w, d, h, m, s, ms, largest first)`, pattern: DURATION_PATTERN });
};

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

const PORT_RANGE = 'must be 1-65535';
export const tcpPort = z.number().int(PORT_RANGE).min(1, PORT_RANGE).max(65535, PORT_RANGE);

/** What one command of a job may print, per stream; past it the job fails with output_too_large. */
export const maxOutputBytes = positiveInt(1 << 30)
  .default(DEFAULT_MAX_OUTPUT_BYTES)
  .meta({ description: 'Bytes a command may print on stdout, and again on stderr; past it the job fails (output_too_large)' });
