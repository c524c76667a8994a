#!/usr/bin/env node
// edgebench's command line: serve, run, check-config, parse, schema. The flags every exporter has
// are spelled as node_exporter and blackbox_exporter spell them (--config.file, --web.listen-address,
// --log.level, --log.format, --version).
import { Command, InvalidArgumentError, Option } from 'commander';
import { benchmarkNames, parsers } from './benchmarks/index.js';
import { checkConfig } from './commands/check-config.js';
import { type ExportOptions, exportCommand } from './commands/export.js';
import { parseCommand } from './commands/parse.js';
import { runOneRound } from './commands/run.js';
import { serve } from './commands/serve.js';
import { configJsonSchema } from './config-file/json-schema.js';
import { ConfigError } from './config-file/load.js';
import { configSchema } from './config-file/schema.js';
import { WebConfigError } from './http/web-config.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat } from './log.js';
import { JournalError } from './store/journal.js';
import { versionText } from './version.js';

const program = new Command('edgebench')
  .description('What does a container cost on this device? Native vs LXC benchmarks of embedded devices, for Prometheus.')
  .version(versionText());

/** --config.file, and -c/--config as edgebench always spelled it: one of them is required. */
function addConfigOptions(command: Command): Command {
  return command
    .addOption(new Option('--config.file <file>', 'configuration file (YAML)'))
    .addOption(new Option('-c, --config <file>', 'the same as --config.file').conflicts('config.file'));
}

/** The file of --config.file or -c, or commander's own error for a missing mandatory option. */
function configFile(command: Command, o: Record<string, unknown>): string {
  const file = (o['config.file'] ?? o.config) as string | undefined;
  if (file === undefined) command.error("error: required option '--config.file <file>' not specified");
  return file;
}

function addLogOptions(command: Command, defaultLevel: string): Command {
  return command
    .addOption(
      new Option(
        '--log.level <level>',
        `only log messages of this level or above (default: $EDGEBENCH_LOG_LEVEL, else ${defaultLevel})`,
      ).choices(LOG_LEVELS),
    )
    .addOption(
      new Option('--log.format <format>', 'log format on stderr (default: json, human-readable on a terminal)').choices(LOG_FORMATS),
    );
}

const logOptions = (o: Record<string, unknown>) => ({
  logLevel: o['log.level'] as string | undefined,
  logFormat: o['log.format'] as LogFormat | undefined,
});

/** --web.listen-address is checked as the configuration's `listen` is. */
function listenAddress(value: string): string {
  const checked = configSchema.shape.listen.safeParse(value);
  if (!checked.success) throw new InvalidArgumentError(checked.error.issues[0]?.message ?? 'must be "address:port"');
  return value;
}

const serveCommand = program.command('serve').description('run rounds continuously and serve /metrics');
addConfigOptions(serveCommand)
  .addOption(
    new Option('--web.listen-address <address>', 'address of /metrics, instead of the configuration\'s listen (e.g. ":9877")').argParser(
      listenAddress,
    ),
  )
  .option('--web.config.file <file>', 'TLS and basic auth, in the format of the Prometheus exporter toolkit (re-read on reload)')
  .option('--web.enable-lifecycle', 'allow POST /-/reload (the configuration is also reloaded on SIGHUP)')
  .option('--web.enable-admin-api', 'allow POST /api/v1/admin/rounds[?dut=NAME]: start a round now');
addLogOptions(serveCommand, 'info').action(async (o: Record<string, unknown>) =>
  serve({
    config: configFile(serveCommand, o),
    // commander keeps the dots and camel-cases the dashes: --web.enable-lifecycle is "web.enableLifecycle"
    listenAddress: o['web.listenAddress'] as string | undefined,
    webConfigFile: o['web.config.file'] as string | undefined,
    enableLifecycle: o['web.enableLifecycle'] === true,
    enableAdminApi: o['web.enableAdminApi'] === true,
    ...logOptions(o),
  }),
);

const runCommand = program.command('run').description('run one round on every DUT now, print a summary table; exit 1 if any job failed');
addConfigOptions(runCommand).option('-b, --benchmark <name...>', `only these benchmarks (${benchmarkNames.join(', ')})`);
addLogOptions(runCommand, 'warn').action(async (o: Record<string, unknown>) => {
  process.exitCode = await runOneRound(configFile(runCommand, o), o.benchmark as string[] | undefined, logOptions(o));
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
    process.stdout.write(configJsonSchema());
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof JournalError || err instanceof WebConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`edgebench: ${(err as Error).message}`);
  process.exit(1);
});
