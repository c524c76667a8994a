#!/usr/bin/env node
// edgebench's command line: serve, run, check-config, parse, schema.
import { Command, Option } from 'commander';
import { z } from 'zod';
import { benchmarks, parsers } from './benchmarks/index.js';
import { checkConfig } from './commands/check-config.js';
import { type ExportOptions, exportCommand } from './commands/export.js';
import { parseCommand } from './commands/parse.js';
import { runOnce } from './commands/run.js';
import { serve } from './commands/serve.js';
import { ConfigError } from './config/load.js';
import { configSchema } from './config/schema.js';
import { WebConfigError } from './http/web-config.js';
import { JournalError } from './store/journal.js';
import { version } from './version.js';

const program = new Command('edgebench')
  .description('What does a container cost on this device? Native vs LXC benchmarks of embedded devices, for Prometheus.')
  .version(version);

const configOption = () => new Option('-c, --config <file>', 'configuration file (YAML)').makeOptionMandatory();

program
  .command('serve')
  .description('run rounds continuously and serve /metrics')
  .addOption(configOption())
  .option('--web.config.file <file>', 'TLS and basic auth, in the format of the Prometheus exporter toolkit (re-read on reload)')
  .option('--web.enable-lifecycle', 'allow POST /-/reload (the configuration is also reloaded on SIGHUP)')
  .option('--web.enable-admin-api', 'allow POST /api/v1/admin/rounds[?dut=NAME]: start a round now')
  .action(async (o: Record<string, unknown>) =>
    serve({
      config: o.config as string,
      webConfigFile: o['web.config.file'] as string | undefined,
      // commander keeps the dots and camel-cases the dashes: --web.enable-lifecycle is "web.enableLifecycle"
      enableLifecycle: o['web.enableLifecycle'] === true,
      enableAdminApi: o['web.enableAdminApi'] === true,
    }),
  );

program
  .command('run')
  .description('run one round on every DUT now, print a summary table; exit 1 if any job failed')
  .addOption(configOption())
  .option('-b, --benchmark <name...>', `only these benchmarks (${benchmarks.map((b) => b.name).join(', ')})`)
  .action(async (o: { config: string; benchmark?: string[] }) => {
    process.exitCode = await runOnce(o.config, o.benchmark);
  });

program
  .command('check-config')
  .description('validate a configuration file; exit 2 with every error and its key path')
  .argument('<file>')
  .action((file: string) => {
    process.exitCode = checkConfig(file);
  });

program
  .command('export')
  .description('write the results journal as CSV: one row per raw value, or per job with --jobs')
  .option('-c, --config <file>', 'configuration file: export its journal (journal.path)')
  .option('--journal <file>', 'the journal file itself')
  .option('--jobs', 'one row per job, with failures, their messages and raw output')
  .option('--since <when>', 'only jobs that ended since: a duration ago ("7d") or a date ("2026-11-01")')
  .option('--dut <name>', 'only this DUT')
  .option('-o, --output <file>', 'write here instead of standard output')
  .action(async (o: ExportOptions) => {
    process.exitCode = await exportCommand(o);
  });

program
  .command('parse')
  .description("print a tool's raw output as parsed samples (JSON)")
  .argument('<tool>', Object.keys(parsers).join(' | '))
  .argument('[file]', 'file with the output, or - for standard input', '-')
  .action((tool: string, file: string) => {
    process.exitCode = parseCommand(tool, file);
  });

program
  .command('schema')
  .description('print the configuration file JSON Schema (for editors)')
  .action(() => {
    const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
    console.log(JSON.stringify({ ...schema, title: 'edgebench configuration' }, null, 2));
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof JournalError || err instanceof WebConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`edgebench: ${(err as Error).message}`);
  process.exit(1);
});
