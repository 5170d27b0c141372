import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAULT_TYPES } from '../../sim/formats.js';
import { listScenarios, loadScenario } from '../../sim/scenario.js';
import { parseDuration } from '../../common/duration.js';
import { rejects } from './rejects.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-scn-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A valid minimal scenario extending the default bank, plus an override. */
const base = (extra: string) => `extends: default\nduration: 1h\n${extra}`;


describe('scenario files', () => {
  it('ships a default bank of 30+ services and 8+ transaction types, incl. the required ones', () => {
    const { scenario } = loadScenario('default');
    expect(scenario.subsystems.flatMap((s) => s.services).length).toBeGreaterThanOrEqual(30);
    const types = scenario.transactions.map((t) => t.name);
    expect(types.length).toBeGreaterThanOrEqual(8);
    for (const t of ['transfer', 'payment', 'balance-query', 'loan-application', 'wealth-purchase', 'card-authorisation']) expect(types).toContain(t);
    expect(scenario.dcns.length).toBeGreaterThanOrEqual(2);
    expect(scenario.channels!.map((c) => c.name)).toEqual(expect.arrayContaining(['clearing-network', 'card-network']));
  });

  it('ships one scenario per fault type and the hard cases, all valid', () => {
    const names = listScenarios();
    for (const t of FAULT_TYPES) expect(names).toContain(`faults/${t}`);
    for (const h of ['hard/overlap', 'hard/no-impact', 'hard/peak']) expect(names).toContain(h);
    for (const name of names) {
      const { scenario } = loadScenario(name);
      if (name.startsWith('faults/')) expect(scenario.faults!.map((f) => f.type)).toEqual([name.slice('faults/'.length)]);
    }
    expect(loadScenario('hard/overlap').scenario.faults).toHaveLength(2);
  });

  it('resolves a file path and merges extends (lists replaced, maps merged)', () => {
    const p = file('ok.yaml', base('traffic:\n  noise: 0.2\nfaults: []\n'));
    const { scenario, name } = loadScenario(p);
    expect(name).toBe(p);
    expect(scenario.traffic.noise).toBe(0.2);
    expect(scenario.traffic.daily).toHaveLength(24); // kept from default
    expect(scenario.faults).toEqual([]);
  });

  it('names file, field path and line for a schema violation', () => {
    const p = file('bad-type.yaml', base('subsystems:\n  - name: core\n    services:\n      - { name: a, instances: zero, capacity: 1, serviceTimeMs: 1 }\n'));
    const err = rejects(p);
    expect(err.file).toBe(p);
    expect(err.fieldPath).toBe('subsystems[0].services[0].instances');
    expect(err.line).toBe(6); // 2 lines of base() + 4
    expect(err.message).toContain(`${p}:6: subsystems[0].services[0].instances:`);
  });

  it('rejects unknown fields, naming them', () => {
    const err = rejects(file('unknown.yaml', base('trafic: {}\n')));
    expect(err.message).toMatch(/trafic/);
  });

  it('rejects a call to an unknown service with its path in the call tree', () => {
    const p = file(
      'bad-call.yaml',
      base('transactions:\n  - name: t\n    rate: 1\n    root:\n      call: api-gateway\n      children:\n        - call: no-such-service\n'),
    );
    const err = rejects(p);
    expect(err.fieldPath).toBe('transactions[0].root.children[0].call');
    expect(err.problem).toMatch(/unknown service or channel 'no-such-service'/);
    expect(err.line).toBe(9);
  });

  it('rejects faults whose target does not exist', () => {
    const err = rejects(file('bad-fault.yaml', base('faults:\n  - { type: database-slow, target: { database: nope }, start: 10m, duration: 5m, severity: 0.5 }\n')));
    expect(err.fieldPath).toBe('faults[0].target.database');
    const edge = rejects(file('bad-edge.yaml', base('faults:\n  - { type: packet-loss, target: { from: audit-service, to: api-gateway }, start: 10m, duration: 5m, severity: 0.5 }\n')));
    expect(edge.problem).toMatch(/no call tree has the edge audit-service -> api-gateway/);
    const sev = rejects(file('bad-sev.yaml', base('faults:\n  - { type: traffic-surge, target: { txType: transfer }, start: 10m, duration: 5m, severity: 2 }\n')));
    expect(sev.fieldPath).toBe('faults[0].severity');
    const when = rejects(file('bad-start.yaml', base('faults:\n  - { type: traffic-surge, target: { txType: transfer }, start: soon, duration: 5m, severity: 0.5 }\n')));
    expect(when.fieldPath).toBe('faults[0].start');
    expect(when.problem).toMatch(/invalid duration 'soon'/);
    const inst = rejects(file('bad-inst.yaml', base('faults:\n  - { type: instance-down, target: { service: fx-service, instance: fx-service-09 }, start: 5m, duration: 5m, severity: 0.5 }\n')));
    expect(inst.problem).toMatch(/unknown instance 'fx-service-09' \(have: fx-service-01, fx-service-02\)/);
  });

  it('reports YAML syntax errors with a line, and bad extends', () => {
    const err = rejects(file('syntax.yaml', 'extends: default\nfaults: [\n  - {\n'));
    expect(err.problem).toMatch(/not valid YAML/);
    expect(err.line).toBeGreaterThan(0);
    expect(rejects(file('ext.yaml', 'extends: nowhere\n')).fieldPath).toBe('extends');
  });

  it('rejects an unknown scenario name, listing the known ones', () => {
    expect(() => loadScenario('faults/nope')).toThrow(/unknown scenario 'faults\/nope'.*faults\/database-slow/);
  });

  it('parses durations', () => {
    expect(parseDuration('90m')).toBe(5_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(() => parseDuration('6 hours')).toThrow(/invalid duration/);
  });
});
