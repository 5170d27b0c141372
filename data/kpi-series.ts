/**
 * Series from kpis.arrow: one per (scope, name, KPI), id `${scope}:${name}:${kpi}` (kpiSeriesId).
 * Success-rate and latency series carry the volume behind each point (binomial trials; calls averaged). Given the
 * incidents of the run (generated faults), each series is labelled 1 on the minutes one of them
 * moved it (Incident.moved, inclusive).
 */
import { KPI_NAMES, kpiSeriesId, type KpiName, type KpiScope, type KpiTable } from '../sim/formats.js';
import type { Incident, Series } from './types.js';

const KPI_COLUMN: Record<KpiName, 'volume' | 'businessSuccessRate' | 'systemSuccessRate' | 'avgLatency'> = {
  volume: 'volume',
  businessSuccessRate: 'businessSuccessRate',
  systemSuccessRate: 'systemSuccessRate',
  avgLatency: 'avgLatency',
};

export function seriesFromKpis(table: KpiTable, incidents?: Incident[]): Series[] {
  // Group rows by (scope, name) codes, keeping first-seen order, then sort each group by minute.
  const groups = new Map<number, number[]>();
  const nameCount = table.name.values.length;
  for (let i = 0; i < table.length; i++) {
    const key = table.scope.codes[i] * nameCount + table.name.codes[i];
    let rows = groups.get(key);
    if (!rows) groups.set(key, (rows = []));
    rows.push(i);
  }
  const labelWindows = new Map<string, Array<[number, number]>>();
  for (const incident of incidents ?? []) {
    for (const m of incident.moved ?? []) {
      let w = labelWindows.get(m.series);
      if (!w) labelWindows.set(m.series, (w = []));
      w.push([m.start, m.end]);
    }
  }
  const out: Series[] = [];
  for (const rows of groups.values()) {
    rows.sort((a, b) => table.minute[a] - table.minute[b]);
    const scope = table.scope.values[table.scope.codes[rows[0]]] as KpiScope;
    const name = table.name.values[table.name.codes[rows[0]]];
    const n = rows.length;
    const timestamps = new Float64Array(n);
    const volume = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      timestamps[k] = table.minute[rows[k]];
      volume[k] = table.volume[rows[k]];
    }
    for (let k = 1; k < n; k++) {
      if (timestamps[k] <= timestamps[k - 1]) throw new Error(`kpis: ${scope}:${name}: minute ${new Date(timestamps[k]).toISOString()} appears twice`);
    }
    for (const kpi of KPI_NAMES) {
      const column = table[KPI_COLUMN[kpi]];
      const values = new Float64Array(n);
      for (let k = 0; k < n; k++) values[k] = column[rows[k]];
      const id = kpiSeriesId(scope, name, kpi);
      const s: Series = { id, timestamps, values, kpi };
      // Rates: the binomial trials; average latency: the calls averaged (its standard error).
      if (kpi !== 'volume') s.volume = volume;
      if (incidents) {
        const labels = new Uint8Array(n);
        for (const [start, end] of labelWindows.get(id) ?? []) {
          for (let k = 0; k < n; k++) if (timestamps[k] >= start && timestamps[k] <= end) labels[k] = 1;
        }
        s.labels = labels;
      }
      out.push(s);
    }
  }
  return out;
}
