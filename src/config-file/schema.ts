// The configuration file's schema: one YAML document, unknown keys rejected everywhere.
import scheduleLib from 'node-schedule';
import { z } from 'zod';
import { benchmarkParamSchemas } from '../benchmarks/index.js';
import { dutTargetSchema, RELATIVE } from '../config/dut.js';
import { DAY_MS, duration, repetitions } from '../config/fields.js';

export const dutSchema = dutTargetSchema.extend({ benchmarks: z.strictObject(benchmarkParamSchemas) });

const listen = z.string().regex(/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, {
  message: 'must be "address:port", e.g. "0.0.0.0:9877" or ":9877"',
});

const cronExpression = z.string().refine(
  (expr) => {
    const job = scheduleLib.scheduleJob(expr, () => {});
    job?.cancel();
    return job !== null;
  },
  { message: 'must be a cron expression such as "*/15 * * * *"' },
);

const journal = z.strictObject({
  path: z
    .string()
    .min(1)
    .default('edgebench-journal.sqlite')
    .meta({
      description: `SQLite file of every job and the last results; ${RELATIVE}`,
    }),
  retention: duration('30d', 3650 * DAY_MS)
    .prefault('30d')
    .meta({ description: 'Jobs older than this are deleted from the journal' }),
});

export const configSchema = z
  .strictObject({
    listen: listen.default(':9877'),
    journal: journal.prefault({}),
    schedule: z
      .union([z.strictObject({ interval: duration('15m') }), z.strictObject({ cron: cronExpression })])
      .prefault({ interval: '15m' }),
    repetitions: repetitions.prefault({}).meta({
      description: 'Default repetitions of every job: a fixed count, or {min, max, max_rsd_percent, warmup} (adaptive)',
    }),
    // No default: a typo (`dut:`) must not read as "no DUT", which measures the built-in lab instead.
    duts: z.array(dutSchema, {
      error: (iss) => (iss.input === undefined ? 'required; write `duts: []` to measure the built-in lab' : undefined),
    }),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.duts.forEach((d, i) => {
      if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: ['duts', i, 'name'], message: `duplicate DUT name "${d.name}"` });
      seen.add(d.name);
    });
  });

export type Config = z.output<typeof configSchema>;
export type DutConfig = Config['duts'][number];
