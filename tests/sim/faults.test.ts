import { describe, expect, it } from 'vitest';
import { Engine } from '../../sim/engine.js';
import { compileFaults } from '../../sim/faults.js';
import { FAULT_TYPES, type FaultType, type MovedKpi } from '../../sim/formats.js';
import { KpiAccumulator } from '../../sim/kpi-accumulator.js';
import { compileModel } from '../../sim/model.js';
import { loadScenario } from '../../sim/scenario.js';
import { counterfactual, CounterfactualForks, movedKpis, RECOVERY_MS } from '../../sim/truth.js';
import { arrivalRate } from '../../sim/traffic.js';

/**
 * Each shipped fault scenario, re-timed to a short run (fault 40-60 min of 80 min) and simulated in
 * KPI-only mode: the KPIs its causal signature must move, and nothing before the fault starts.
 */
const EXPECTED: Record<FaultType, string[]> = {
  'database-slow': ['service:ledger-service:avgLatency:up', 'txType:statement-query:avgLatency:up'],
  'instance-down': ['service:account-service:avgLatency:up'],
  'crash-loop': ['service:payment-service:systemSuccessRate:down', 'txType:payment:systemSuccessRate:down'],
  'cpu-saturation': ['service:card-auth-service:avgLatency:up', 'txType:card-authorisation:avgLatency:up'],
  'memory-leak': ['service:transfer-service:avgLatency:up', 'service:transfer-service:systemSuccessRate:down'],
  'network-delay': ['service:risk-engine:avgLatency:up', 'txType:payment:avgLatency:up'],
  'packet-loss': ['service:account-service:avgLatency:up', 'service:transfer-service:systemSuccessRate:down'],
  'broker-backlog': ['service:limit-service:avgLatency:up', 'service:limit-service:systemSuccessRate:down'],
  'channel-outage': ['service:clearing-network:systemSuccessRate:down', 'txType:transfer:systemSuccessRate:down'],
  'channel-slowdown': ['service:card-network:avgLatency:up', 'txType:card-authorisation:avgLatency:up'],
  'bad-release': ['service:fund-service:systemSuccessRate:down', 'txType:wealth-purchase:systemSuccessRate:down'],
  'config-error': ['txType:login:systemSuccessRate:down', 'service:auth-service:avgLatency:up'],
  'traffic-surge': ['txType:balance-query:volume:up', 'service:account-service:volume:up'],
  'code-exception': [],
  // The wrong value's consumer fails, and the transaction with it; the root cause's own KPIs do not move.
  'wrong-return': ['txType:transfer:businessSuccessRate:down', 'service:transfer-service:businessSuccessRate:down'],
  'slow-query': [],
  'noisy-neighbour': ['service:risk-engine:avgLatency:up', 'txType:payment:avgLatency:up'],
  'rolling-restart': ['service:account-service:avgLatency:up'],
  'batch-job': ['service:ledger-service:avgLatency:up'],
  drift: ['service:customer-profile:avgLatency:up'],
};
/** Faults that show in the logs only at their scenario's severity: no KPI may move. */
const LOGS_ONLY = new Set<FaultType>(['code-exception', 'slow-query']);
/** Series a fault must not move: unrelated parts of the bank. */
const UNRELATED: Partial<Record<FaultType, string>> = {
  'channel-outage': 'txType:card-authorisation',
  'channel-slowdown': 'txType:transfer',
  'bad-release': 'txType:transfer',
  'network-delay': 'txType:card-authorisation',
  'wrong-return': 'service:account-service',
  'code-exception': 'service:fx-service',
};

function run(name: string) {
  const { scenario } = loadScenario(name);
  for (const f of scenario.faults!) {
    f.start = '40m';
    f.duration = '20m';
  }
  const m = compileModel(scenario, { durationMs: 80 * 60_000 });
  const faults = compileFaults(m, scenario.faults!);
  const real = new KpiAccumulator(m);
  new Engine(m, faults, 7, real).run();
  return { m, faults, real };
}

const key = (k: MovedKpi) => `${k.series}:${k.direction}`;

describe('faults move the KPIs they should, near their window only', () => {
  for (const type of FAULT_TYPES) {
    it(type, () => {
      const { m, faults, real } = run(`faults/${type}`);
      const f = faults[0]!;
      const cf = counterfactual(m, faults, f, 7);
      const moved = movedKpis(m, real, cf, f);
      expect(moved.map(key)).toEqual(expect.arrayContaining(EXPECTED[type]));
      if (LOGS_ONLY.has(type)) expect(moved).toEqual([]);
      for (const k of moved) {
        expect(k.start).toBeGreaterThanOrEqual(f.start);
        expect(k.end).toBeLessThan(f.end + RECOVERY_MS);
      }
      const unrelated = UNRELATED[type];
      if (unrelated) expect(moved.filter((k) => k.series.startsWith(unrelated + ':'))).toEqual([]);
      // Before the fault the run is identical to the fault-free one (common random numbers).
      const before = ((f.start - m.start) / 60_000) * real.width;
      expect(Array.from(real.volume.subarray(0, before))).toEqual(Array.from(cf.volume.subarray(0, before)));
      expect(Array.from(real.latencySum.subarray(0, before))).toEqual(Array.from(cf.latencySum.subarray(0, before)));
    });
  }

  it('a fault without business impact moves nothing', () => {
    const { m, faults, real } = run('hard/no-impact');
    expect(movedKpis(m, real, counterfactual(m, faults, faults[0]!, 7), faults[0]!)).toEqual([]);
  });

  it('overlapping faults are each credited with their own effects', () => {
    const { scenario } = loadScenario('hard/overlap');
    const m = compileModel(scenario, { durationMs: 100 * 60_000 });
    scenario.faults![0]!.start = '30m';
    scenario.faults![1]!.start = '40m';
    const faults = compileFaults(m, scenario.faults!);
    const real = new KpiAccumulator(m);
    new Engine(m, faults, 7, real).run();
    const db = movedKpis(m, real, counterfactual(m, faults, faults[0]!, 7), faults[0]!).map(key);
    const loss = movedKpis(m, real, counterfactual(m, faults, faults[1]!, 7), faults[1]!).map(key);
    expect(db).toContain('service:ledger-service:avgLatency:up');
    // Counterfactuals forked off the real run at each fault's start equal the ones simulated from
    // the scenario's start.
    const forkedReal = new KpiAccumulator(m);
    const engine = new Engine(m, faults, 7, forkedReal);
    const forks = new CounterfactualForks(m, faults, engine);
    engine.run(Infinity, forks.beforeMinute);
    expect(forkedReal.latencySum).toEqual(real.latencySum);
    for (const f of faults) {
      const forked = forks.finish(f);
      const scratch = counterfactual(m, faults, f, 7);
      for (const k of ['volume', 'businessOk', 'systemOk', 'latencySum'] as const) expect(forked[k]).toEqual(scratch[k]);
    }
    expect(loss).not.toContain('service:ledger-service:avgLatency:up');
    expect(loss).toContain('service:account-service:avgLatency:up');
  });
});

describe('traffic', () => {
  it('shows daily and weekly seasonality in volume', () => {
    const { scenario } = loadScenario('default');
    scenario.faults = [];
    scenario.traffic.campaigns = [];
    scenario.start = '2026-01-04T00:00:00Z'; // Sunday, then Monday
    const m = compileModel(scenario, { durationMs: 2 * 86_400_000, trafficScale: 0.05 });
    const k = new KpiAccumulator(m);
    new Engine(m, [], 3, k).run();
    const s = k.txSeries[m.txTypes.findIndex((t) => t.name === 'balance-query')]!;
    const hourly = (day: number, hour: number) => {
      let v = 0;
      for (let t = (day * 24 + hour) * 60; t < (day * 24 + hour + 1) * 60; t++) v += k.volume[t * k.width + s]!;
      return v;
    };
    // Monday: 03:00 is the trough, 11:00 near the peak (profile 0.12 vs 1.5).
    expect(hourly(1, 11) / hourly(1, 3)).toBeGreaterThan(6);
    // Sunday (0.75) is quieter than Monday (1.05) at the same hours.
    const mon = hourly(1, 10) + hourly(1, 11) + hourly(1, 14);
    const sun = hourly(0, 10) + hourly(0, 11) + hourly(0, 14);
    expect(sun / mon).toBeGreaterThan(0.6);
    expect(sun / mon).toBeLessThan(0.85);
  });

  it('applies paydays to their transaction types and campaigns to their window', () => {
    const m = compileModel(loadScenario('default').scenario);
    const type = (name: string) => m.txTypes.findIndex((t) => t.name === name);
    const at = (iso: string) => Date.parse(iso);
    // 15 Jan is a payday for transfer, not for balance-query; same weekday factor cancels out.
    const payday = (name: string) => arrivalRate(m, type(name), at('2026-01-15T11:00:00Z')) / arrivalRate(m, type(name), at('2026-01-08T11:00:00Z'));
    expect(payday('transfer')).toBeCloseTo(1.4, 9);
    expect(payday('balance-query')).toBeCloseTo(1, 9);
    // The evening fund promotion (19:00-21:00 on the first day) triples wealth purchases.
    const wealth = (iso: string) => arrivalRate(m, type('wealth-purchase'), at(iso));
    expect(wealth('2026-01-05T19:30:00Z') / wealth('2026-01-12T19:30:00Z')).toBeCloseTo(3, 9);
    expect(wealth('2026-01-05T21:30:00Z') / wealth('2026-01-12T21:30:00Z')).toBeCloseTo(1, 9);
  });
});
