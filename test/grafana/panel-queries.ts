// Every query of the committed dashboards (grafana/dashboards/*.json), with Grafana's variables and
// macros replaced the way Grafana would before sending them to Prometheus: for tests that run them.
import { readdirSync, readFileSync } from 'node:fs';

export const dashboardsDir = new URL('../../grafana/dashboards/', import.meta.url);

export interface PanelQuery {
  dashboard: string; // uid
  panelId: number;
  panel: string; // title
  refId: string;
  /** Instant query (Grafana evaluates it at the end of the time range) or range query. */
  instant: boolean;
  /** As committed, with Grafana variables. */
  rawExpr: string;
  /** Ready for Prometheus. */
  expr: string;
  /**
   * Reads perf counts and nothing else, which the exporter leaves absent on a DUT whose kernel does
   * not count the events (edgebench_perf_supported 0, as in the one-host lab): no data is then the
   * right answer. A query over every family (perf counts among others) returns the others.
   */
  needsPerfCounters: boolean;
}

export interface AnnotationQuery {
  dashboard: string;
  name: string;
  rawExpr: string;
  expr: string;
}

/**
 * What Grafana substitutes. The query variables (`dut`, `job`, `instance`, `netdev`, `direction`,
 * `instances`) default to the dashboards' All value (`.*`); `interval` stands for $__interval and
 * $__rate_interval, `range` for $__range: Prometheus durations.
 */
export interface MacroValues {
  dut?: string;
  job?: string;
  instance?: string;
  netdev?: string;
  direction?: string;
  instances?: string;
  interval?: string;
  range?: string;
}

/** The dashboards' query variables, each `.*` when All is selected. */
export const queryVariables = ['dut', 'job', 'instance', 'netdev', 'direction', 'instances'] as const;

/**
 * The metric names a query reads: the exporter's families (`edgebench_…`, `process_…`), the recorded
 * series of a DUT (`dut:…:…`) and the lab-wide records (`edgebench:…:…`, the alert thresholds).
 */
export function metricNames(expr: string): string[] {
  return expr.match(/\b(?:edgebench_\w+|process_\w+|dut:\w+:\w+|edgebench:\w+:\w+)/g) ?? [];
}

const isPerfCount = (name: string) => /edgebench_perf_(?!supported\b)\w+/.test(name);

/** Milliseconds of a Prometheus duration made of one unit (1m, 30s, 1h). */
function durationMs(duration: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w|y)$/.exec(duration);
  if (!m) throw new Error(`not a single-unit Prometheus duration: ${duration}`);
  const unit = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3, y: 31536000e3 }[m[2] as string] as number;
  return Number(m[1]) * unit;
}

/**
 * Replaces `$name`, `${name}`, `${name:format}` and `[[name]]` for the variables Grafana knows here;
 * anything else (label_replace's `$1`, for one) stays, as Grafana leaves it.
 */
export function substituteMacros(expr: string, values: MacroValues = {}): string {
  const interval = values.interval ?? '1m';
  const range = values.range ?? '1m';
  const known: Record<string, string> = {
    ...Object.fromEntries(queryVariables.map((name) => [name, values[name] ?? '.*'])),
    __interval: interval,
    __interval_ms: String(durationMs(interval)),
    __rate_interval: interval,
    __rate_interval_ms: String(durationMs(interval)),
    __range: range,
    __range_s: String(durationMs(range) / 1000),
    __range_ms: String(durationMs(range)),
  };
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)/g, (whole, braced, bracketed, bare) => {
    const name = (braced ?? bracketed ?? bare) as string;
    return known[name] ?? whole;
  });
}

interface JsonTarget {
  refId?: string;
  expr?: string;
  instant?: boolean;
}
interface JsonPanel {
  id?: number;
  type?: string;
  title?: string;
  targets?: JsonTarget[];
  panels?: JsonPanel[];
}
interface JsonDashboard {
  uid: string;
  panels?: JsonPanel[];
  annotations?: { list?: { name?: string; expr?: string }[] };
}

/** The committed dashboards, parsed, by file name. */
export function committedDashboards(): Record<string, JsonDashboard> {
  const all: Record<string, JsonDashboard> = {};
  for (const name of readdirSync(dashboardsDir).sort()) {
    if (name.endsWith('.json')) all[name] = JSON.parse(readFileSync(new URL(name, dashboardsDir), 'utf8')) as JsonDashboard;
  }
  return all;
}

/** Panels of a dashboard, those inside collapsed rows included. */
export function allPanels<P extends { panels?: P[] }>(dashboard: { panels?: P[] }): P[] {
  return (dashboard.panels ?? []).flatMap((panel) => [panel, ...allPanels(panel)]);
}

export function panelQueries(values: MacroValues = {}, dashboards = committedDashboards()): PanelQuery[] {
  return Object.values(dashboards).flatMap((dashboard) =>
    allPanels(dashboard).flatMap((panel) =>
      (panel.targets ?? []).map((target) => {
        if (typeof target.expr !== 'string') throw new Error(`${dashboard.uid} panel ${panel.id}: target ${target.refId} has no expr`);
        return {
          dashboard: dashboard.uid,
          panelId: panel.id ?? Number.NaN,
          panel: panel.title ?? '',
          refId: target.refId ?? '',
          instant: target.instant === true,
          rawExpr: target.expr,
          expr: substituteMacros(target.expr, values),
          needsPerfCounters: metricNames(target.expr).length > 0 && metricNames(target.expr).every(isPerfCount),
        };
      }),
    ),
  );
}

/**
 * The dashboards' Prometheus annotation queries: firing alerts, exporter starts, configuration
 * reloads, benchmark parameter changes. Most return data only around the event they mark.
 */
export function annotationQueries(values: MacroValues = {}, dashboards = committedDashboards()): AnnotationQuery[] {
  return Object.values(dashboards).flatMap((dashboard) =>
    (dashboard.annotations?.list ?? [])
      .filter((annotation) => typeof annotation.expr === 'string')
      .map((annotation) => ({
        dashboard: dashboard.uid,
        name: annotation.name ?? '',
        rawExpr: annotation.expr as string,
        expr: substituteMacros(annotation.expr as string, values),
      })),
  );
}
