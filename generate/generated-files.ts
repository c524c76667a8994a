// Every file generated from the benchmark registry, by its path in the repository: the registry's
// list itself, the configuration's JSON Schema, the dashboards, the container-vs-native recording
// rules (a region of a hand-written file) and their promtool tests. `npm run generate` writes them; a test fails when a committed one differs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultFamilies } from '../grafana/src/common.js';
import { dashboards, render } from '../grafana/src/index.js';
import { configJsonSchema } from '../src/config-file/json-schema.js';
import { withRatioRules } from '../prometheus/src/recording-rules.js';
import { ratioRuleTests } from '../prometheus/src/rule-tests.js';
import { REGISTERED, registeredSource } from './benchmark-registry.js';

export const DASHBOARDS_DIR = 'grafana/dashboards';
export const RECORDING_RULES = 'prometheus/rules/edgebench-recording.yml';

/** `root` is the checkout whose hand-written part of the recording rules is kept. */
export function generatedFiles(root: string): Record<string, string> {
  const families = resultFamilies();
  const files: Record<string, string> = { [REGISTERED]: registeredSource(root) };
  for (const [name, dashboard] of Object.entries(dashboards())) files[`${DASHBOARDS_DIR}/${name}`] = render(dashboard);
  files[RECORDING_RULES] = withRatioRules(readFileSync(join(root, RECORDING_RULES), 'utf8'), families);
  files['prometheus/tests/lxc-vs-native.yml'] = ratioRuleTests(families);
  files['schema/edgebench-config.schema.json'] = configJsonSchema();
  return files;
}
