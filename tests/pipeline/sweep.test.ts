/**
 * Parametric suites: axes over scenario fields, `every` targets from the topology, seeded samples,
 * scenario files relative to the suite, errors that name the suite file, line and field, shards
 * from JOB_COMPLETION_INDEX, and `faultline sweep --list`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { applySettings, resolveField } from '../../pipeline/axes.js';
import { loadSuite, parseSuite } from '../../pipeline/suite.js';
import { deriveSeed, itemScenario, planSweep, selectShard, shardFrom } from '../../pipeline/sweep.js';
import { loadScenario } from '../../sim/scenario.js';
import { FAULT_TARGET_KINDS, FAULT_TYPES } from '../../sim/formats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUITES = fileURLToPath(new URL('./suites/', import.meta.url));
const EVERY_FAULT = path.join(SUITES, 'every-fault.yaml');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-sweep-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A suite file in the test suites folder (so `twin/small-bank.yaml` resolves), returning its path. */
function suiteFile(name: string, lines: string[]): string {
  const file = path.join(tmp, `${name}.yaml`);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
const TWIN = path.join(SUITES, 'twin/small-bank.yaml');
const head = ['name: t', `scenarios: [${TWIN}]`, 'detectors: [ksigma]', 'rca: [count]'];

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('sweep axes', () => {
  const suite = loadSuite(EVERY_FAULT);
  const plan = planSweep(suite);

  it('is the cross product of every fault on every target, severities and seeds, keyed and seeded by key', () => {
    const base = loadScenario(TWIN).scenario;
    const services = base.subsystems.flatMap((s) => s.services);
    const instances = services.reduce((n, s) => n + s.instances, 0);
    // Edges: every caller -> callee pair of the transaction trees.
    const edges = new Set(plan.items.filter((i) => i.key.includes('fault=network-delay:') && i.key.includes('>')).map((i) => i.key.replace(/,severity.*/, ''))).size;
    const perKind = { database: base.databases!.length, instance: instances, service: services.length, channel: base.channels!.length, txType: base.transactions.length, edge: edges };
    const targets = FAULT_TYPES.reduce((n, type) => n + FAULT_TARGET_KINDS[type].reduce((k, kind) => k + perKind[kind], 0), 0);
    expect(edges).toBeGreaterThan(3);
    expect(plan.size).toBe(targets * 2 * 2);
    expect(plan.items).toHaveLength(plan.size);
    expect(plan.items.map((i) => i.key)).toEqual(plan.items.map((i) => i.key).sort());
    const item = plan.items.find((i) => i.key === 'twin/small-bank.yaml[fault=instance-down:ledger-service#3,severity=0.8]@2')!;
    expect(item.generatorSeed).toBe(deriveSeed(2, item.key));
    const s = itemScenario(plan, item);
    expect(s.faults![0]).toMatchObject({ type: 'instance-down', target: { service: 'ledger-service', instance: 3 }, severity: 0.8, start: '1h45m', duration: '20m' });
    expect(base.faults![0]!.type).toBe('database-slow'); // the base is not changed
    expect(new Set(plan.items.map((i) => i.key.match(/fault=([a-z-]+):/)![1])).size).toBe(FAULT_TYPES.length);
  });

  it('gives scenarios the scenario loader accepts, cross-checks included, for every fault type', () => {
    const oneEach = new Map<string, (typeof plan.items)[number]>();
    for (const item of plan.items) oneEach.set(item.key.match(/fault=([a-z-]+):/)![1]!, item);
    for (const item of oneEach.values()) {
      const file = path.join(tmp, 'variant.yaml');
      writeFileSync(file, JSON.stringify(itemScenario(plan, item)));
      expect(() => loadScenario(file), item.key).not.toThrow();
    }
  });

  it('samples the cross product by seed, the same sample every time', () => {
    const text = ['name: s', 'scenarios: [twin/small-bank.yaml]', 'seeds: [1, 2]', 'axes:', '  fault: { field: faults.0, every: fault }', 'sample: { count: 50, seed: 9 }', 'detectors: [ksigma]', 'rca: [count]'];
    const a = planSweep(parseSuite(text.join('\n'), EVERY_FAULT));
    const b = planSweep(parseSuite(text.join('\n'), EVERY_FAULT));
    expect(a.items.map((i) => i.key)).toEqual(b.items.map((i) => i.key));
    expect(a.items).toHaveLength(50);
    expect(a.size).toBe(plan.size / 2);
    const other = planSweep(parseSuite(text.join('\n').replace('seed: 9', 'seed: 10'), EVERY_FAULT));
    expect(other.items.map((i) => i.key)).not.toEqual(a.items.map((i) => i.key));
    // A sampled item is the same item (key, seed, settings) as in the full product.
    const full = new Map(planSweep(parseSuite(text.filter((l) => !l.startsWith('sample')).join('\n'), EVERY_FAULT)).items.map((i) => [i.key, i]));
    for (const item of a.items) expect(item).toEqual(full.get(item.key));
  });

  it('sets fields by name, index and *, and ranges, on the topology', () => {
    const file = suiteFile('topology', [
      ...head,
      'axes:',
      '  instances: { field: subsystems.*.services.*.instances, values: [2, 4] }',
      '  ledger: { field: subsystems.core.services.ledger-service.capacity, range: { from: 40, to: 60, step: 10 } }',
      '  scale: { field: traffic.scale, values: [0.005] }',
    ]);
    const p = planSweep(loadSuite(file));
    expect(p.items).toHaveLength(6);
    const item = p.items.find((i) => i.key.endsWith('[instances=4,ledger=50,scale=0.005]@1'))!;
    const s = itemScenario(p, item);
    expect(s.subsystems.flatMap((x) => x.services).every((svc) => svc.instances === 4)).toBe(true);
    expect(s.subsystems.find((x) => x.name === 'core')!.services.find((x) => x.name === 'ledger-service')!.capacity).toBe(50);
    expect(s.traffic.scale).toBe(0.005);
    expect(resolveField(s, 'subsystems.*.services.0')).toHaveLength(s.subsystems.length);
    expect(applySettings(s, [{ field: 'faults.0', value: { severity: 0.1 } }]).faults![0]).toMatchObject({ type: 'database-slow', severity: 0.1 });
  });

  it('names the suite file, line and field of an axis value the scenario schema refuses', () => {
    const bad = suiteFile('bad-severity', [...head, 'axes:', '  severity:', '    field: faults.0.severity', '    values:', '      - 0.5', '      - 1.5']);
    expect(problem(() => planSweep(loadSuite(bad)))).toMatch(/bad-severity\.yaml:10: axes\.severity\.values\.1: on scenario .*small-bank\.yaml: faults\.0\.severity: Too big/);
    const badType = suiteFile('bad-type', [...head, 'axes:', '  kind: { field: faults.0.type, values: [disk-fire] }']);
    expect(problem(() => planSweep(loadSuite(badType)))).toMatch(/bad-type\.yaml:6: axes\.kind\.values\.0: .*faults\.0\.type: Invalid option/);
    const badPath = suiteFile('bad-path', [...head, 'axes:', '  x: { field: faults.3.severity, values: [0.5] }']);
    expect(problem(() => planSweep(loadSuite(badPath)))).toMatch(/bad-path\.yaml:6: .*faults has 1 entries, no entry 3/);
    const unknownField = suiteFile('bad-field', [...head, 'axes:', '  x: { field: traffic.volume, values: [2] }']);
    expect(problem(() => planSweep(loadSuite(unknownField)))).toMatch(/bad-field\.yaml:6: .*no field traffic\.volume/);
    const twoKinds = suiteFile('bad-axis', [...head, 'axes:', '  x:', '    field: faults.0.severity', '    values: [0.5]', '    every: service']);
    expect(problem(() => loadSuite(twoKinds))).toMatch(/bad-axis\.yaml:7: axes\.x: give exactly one of values, range or every/);
    const missing = suiteFile('bad-scenario', ['name: t', 'scenarios: [nowhere/bank.yaml]', 'detectors: [ksigma]', 'rca: [count]']);
    expect(problem(() => planSweep(loadSuite(missing)))).toMatch(/bad-scenario\.yaml:2: scenarios\.0: no scenario file .*nowhere\/bank\.yaml/);
  });

  it('takes the shard from --shard or from JOB_COMPLETION_INDEX with --shards', () => {
    expect(shardFrom({ shards: 4 }, { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 1, count: 4 });
    expect(shardFrom({ shards: 4 }, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 4, count: 4 });
    expect(shardFrom({ shard: '2/3' }, {})).toEqual({ index: 2, count: 3 });
    expect(shardFrom({}, { JOB_COMPLETION_INDEX: '1' })).toBeNull();
    expect(() => shardFrom({ shards: 4 }, {})).toThrow(/JOB_COMPLETION_INDEX.*not set/);
    expect(() => shardFrom({ shards: 4 }, { JOB_COMPLETION_INDEX: '4' })).toThrow(/not below --shards 4/);
    expect(() => shardFrom({ shard: '1/2', shards: 2 }, {})).toThrow(/not both/);
  });

  it('faultline sweep --list prints the items and their count without running them', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/faultline.js'), 'sweep', '--suite', EVERY_FAULT, '--list', '--shards', '3'], {
      encoding: 'utf8',
      env: { ...process.env, JOB_COMPLETION_INDEX: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const shard = selectShard(plan.items, { index: 2, count: 3 });
    expect(lines.slice(0, -1)).toEqual(shard.map((i) => i.key));
    expect(lines.at(-1)).toBe(`${shard.length.toLocaleString('en-US')} items in shard 2/3 of ${plan.size.toLocaleString('en-US')}: the cross product of 1 scenario x axes fault, severity x 2 seeds`);
  });
});
