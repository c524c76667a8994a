// The edgebench dashboards, keyed by the file they are committed as under grafana/dashboards/.
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { labHealth } from './lab-health.js';
import { overheadTrends } from './overhead-trends.js';
import { paperFigures } from './paper-figures.js';

export function dashboards(): Record<string, Dashboard> {
  const all: Record<string, Dashboard> = {};
  for (const dashboard of [paperFigures(), overheadTrends(), labHealth()]) all[`${dashboard.uid}.json`] = dashboard;
  return all;
}

/** The committed form of a dashboard: byte for byte what `npm run dashboards` writes. */
export function render(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
