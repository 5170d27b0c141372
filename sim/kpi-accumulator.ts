import type { KpiTable } from './formats.js';
import { SERVICE_KIND, type Model } from './model.js';
import { CLASS } from './message-rows.js';

/**
 * Minute-level counts behind the four golden KPIs, for every receiving service (bank services and
 * channels, as the bus sees calls addressed to their topic) and every transaction type.
 * Calls and transactions count in the minute they started.
 */
export class KpiAccumulator {
  readonly minutes: number;
  readonly seriesNames: { scope: 'service' | 'txType'; name: string }[] = [];
  /** Series index of each service (-1 for clients, which receive nothing). */
  readonly serviceSeries: Int32Array;
  readonly txSeries: Int32Array;
  readonly volume: Float64Array;
  readonly businessOk: Float64Array;
  readonly systemOk: Float64Array;
  readonly latencySum: Float64Array;
  readonly width: number;

  constructor(private readonly m: Model) {
    this.minutes = m.durationMs / 60_000;
    this.serviceSeries = Int32Array.from(m.services, (name, s) =>
      m.serviceKind[s] === SERVICE_KIND.client ? -1 : this.seriesNames.push({ scope: 'service', name }) - 1,
    );
    this.txSeries = Int32Array.from(m.txTypes, (t) => this.seriesNames.push({ scope: 'txType', name: t.name }) - 1);
    this.width = this.seriesNames.length;
    const n = this.minutes * this.width;
    this.volume = new Float64Array(n);
    this.businessOk = new Float64Array(n);
    this.systemOk = new Float64Array(n);
    this.latencySum = new Float64Array(n);
  }

  /** An independent copy holding the counts so far. */
  clone(): KpiAccumulator {
    const k = new KpiAccumulator(this.m);
    k.volume.set(this.volume);
    k.businessOk.set(this.businessOk);
    k.systemOk.set(this.systemOk);
    k.latencySum.set(this.latencySum);
    return k;
  }

  private add(series: number, t: number, cls: number, latencyMs: number): void {
    const minute = Math.floor((t - this.m.start) / 60_000);
    if (minute < 0 || minute >= this.minutes) return;
    const k = minute * this.width + series;
    this.volume[k]!++;
    if (cls !== CLASS.system) {
      this.systemOk[k]!++;
      if (cls === CLASS.ok) this.businessOk[k]!++;
    }
    this.latencySum[k] = this.latencySum[k]! + latencyMs;
  }

  call(service: number, t: number, cls: number, latencyMs: number): void {
    this.add(this.serviceSeries[service]!, t, cls, latencyMs);
  }

  transaction(type: number, t: number, cls: number, latencyMs: number): void {
    this.add(this.txSeries[type]!, t, cls, latencyMs);
  }

  /** kpis.arrow rows, minute-major; every (minute, series) present, rates NaN at zero volume. */
  toTable(): KpiTable {
    const n = this.minutes * this.width;
    const scopes = ['service', 'txType'];
    const t: KpiTable = {
      length: n,
      minute: new Float64Array(n),
      scope: { codes: new Int32Array(n), values: scopes },
      name: { codes: new Int32Array(n), values: this.seriesNames.map((s) => s.name) },
      volume: this.volume.slice(),
      businessSuccessCount: this.businessOk.slice(),
      systemSuccessCount: this.systemOk.slice(),
      latencySum: this.latencySum.slice(),
      businessSuccessRate: new Float64Array(n),
      systemSuccessRate: new Float64Array(n),
      avgLatency: new Float64Array(n),
    };
    for (let k = 0; k < n; k++) {
      const s = k % this.width;
      t.minute[k] = this.m.start + Math.floor(k / this.width) * 60_000;
      t.scope.codes[k] = this.seriesNames[s]!.scope === 'service' ? 0 : 1;
      t.name.codes[k] = s;
      const v = this.volume[k]!;
      t.businessSuccessRate[k] = v > 0 ? this.businessOk[k]! / v : NaN;
      t.systemSuccessRate[k] = v > 0 ? this.systemOk[k]! / v : NaN;
      t.avgLatency[k] = v > 0 ? this.latencySum[k]! / v : NaN;
    }
    return t;
  }
}
