#!/usr/bin/env node
// edgebench's command line: serve, run, check-config, parse, schema.
import { Command, Option } from 'commander';
import { z } from 'zod';
import { benchmarks, parsers } from './benchmarks/index.js';
import { checkConfig } from './commands/check-config.js';
import { parseCommand } from './commands/parse.js';
import { runOnce } from './commands/run.js';
import { serve } from './commands/serve.js';
import { ConfigError } from './config/load.js';
import { configSchema } from './config/schema.js';
import { version } from './version.js';

const program = new Command('edgebench')
  .description('What does a container cost on this device? Native vs LXC benchmarks of embedded devices, for Prometheus.')
  .version(version);

const configOption = () => new Option('-c, --config <file>', 'configuration file (YAML)').makeOptionMandatory();

program
  .command('serve')
  .description('run rounds continuously and serve /metrics')
  .addOption(configOption())
  .action(async (o: { config: string }) => serve(o.config));

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
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`edgebench: ${(err as Error).message}`);
  process.exit(1);
});
