import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSize, estimateSize, ScenarioSizeError } from '../../sim/estimate.js';
import { generate, GenerateOptionsError } from '../../sim/generate.js';
import { compileModel } from '../../sim/model.js';
import { readKpis, readMetricFrame, readTruth, scanLogs, scanMessages } from '../../sim/read.js';
import { loadScenario } from '../../sim/scenario.js';
import { rejects } from './rejects.js';

const root = mkdtempSync(join(tmpdir(), 'fl-val-'));
let n = 0;
/** A scenario file extending fault-base with the given lines. */
function scenario(...lines: string[]): string {
  const p = join(root, `s${++n}.yaml`);
  const duration = lines.some((l) => l.startsWith('duration:')) ? [] : ['duration: 10m'];
  writeFileSync(p, ['extends: fault-base', ...duration, ...lines].join('\n') + '\n');
  return p;
}
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

const small = scenario('faults:', '  - { type: database-slow, target: { database: ledger-db }, start: 2m, duration: 5m, severity: 0.5 }');
const good = join(root, 'good');
beforeAll(async () => {
  await generate({ scenario: small, seed: 1, out: good });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the good data set to damage. */
function copy(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const f of readdirSync(good)) copyFileSync(join(good, f), join(dir, f));
  return dir;
}

describe('scenario values are checked at the door', () => {
  it('takes real calendar dates only, naming file, line and field', () => {
    let e = rejects(scenario('start: 2026-02-30T00:00:00Z'));
    expect(e.message).toMatch(/s\d+\.yaml:3: start: '2026-02-30T00:00:00Z': 2026-02 has 28 days, not 30/);
    e = rejects(scenario('start: 2026-13-45T99:99Z'));
    expect(e.message).toMatch(/:3: start: .*there is no month 13/);
    e = rejects(scenario('faults:', '  - { type: database-slow, target: { database: ledger-db }, start: 2026-01-05T25:00:00Z, duration: 5m, severity: 0.5 }'));
    expect(e.message).toMatch(/:4: faults\[0\]\.start: .*no such time of day/);
  });

  it('keeps every number in a sane range', async () => {
    expect(rejects(scenario('subsystems:', '  - name: x', '    services: [{ name: y, instances: 1, capacity: 1, serviceTimeMs: 1e300 }]')).message).toMatch(
      /subsystems\[0\]\.services\[0\]\.serviceTimeMs: Too big/,
    );
    expect(rejects(scenario('traffic: { scale: 1e9 }')).message).toMatch(/traffic\.scale: Too big/);
    expect(rejects(scenario('duration: 100000d')).message).toMatch(/:2: duration: 100000d is longer than ten years/);
    expect(rejects(scenario('duration: 30s')).message).toMatch(/s\d+\.yaml:2: duration: 30s is shorter than the one minute a run needs/);
    await expect(generate({ scenario: small, seed: 1, out: join(root, 'short'), duration: '20s' })).rejects.toThrow(/duration must be at least one minute \(got 20s\)/);
    expect(rejects(scenario('faults:', '  - { type: drift, target: { service: ledger-service }, start: 2m, duration: 0m, severity: 0.5 }')).message).toMatch(
      /faults\[0\]\.duration: must be longer than 0/,
    );
    await expect(generate({ scenario: small, seed: 1, out: join(root, 'inf'), trafficScale: Infinity })).rejects.toThrow(GenerateOptionsError);
  });

  it('refuses a transaction that could make more calls than uniqueId numbers (fan-out 64, four levels deep)', () => {
    const deep = (d: number): string => (d === 0 ? '{ call: ledger-service, fanout: 64 }' : `{ call: ledger-service, fanout: 64, children: [${deep(d - 1)}] }`);
    const e = rejects(scenario('transactions:', `  - { name: storm, rate: 1, root: ${deep(3)} }`));
    expect(e.message).toMatch(/transactions\[0\]\.root: one transaction can make up to 17,043,520 calls .*at most 9,999/);
  });

  it('estimates the data set before running and refuses one past the limits unless allowed', async () => {
    const huge = scenario('duration: 2d', 'traffic: { scale: 100 }');
    const started = performance.now();
    await expect(generate({ scenario: huge, seed: 1, out: join(root, 'huge') })).rejects.toThrow(/about [\d,]+ messages .* more than the limit of 250,000,000: .* --allow-large/);
    expect(performance.now() - started).toBeLessThan(5000); // refused before anything ran
    const model = compileModel(loadScenario(huge).scenario);
    expect(() => checkSize(estimateSize(model), false)).toThrow(ScenarioSizeError);
    expect(() => checkSize(estimateSize(model), true)).not.toThrow();
    // The estimate is close to what a run writes.
    const e = estimateSize(compileModel(loadScenario(small).scenario));
    const written = JSON.parse(readFileSync(join(good, 'manifest.json'), 'utf8')).counts.messages;
    expect(e.messages / written).toBeGreaterThan(0.5);
    expect(e.messages / written).toBeLessThan(2);
  });

  it('warns about a fault outside the run instead of dropping it silently', async () => {
    const late = scenario('faults:', '  - { id: late, type: database-slow, target: { database: ledger-db }, start: 30m, duration: 5m, severity: 0.5 }');
    const r = await generate({ scenario: late, seed: 1, out: join(root, 'late'), logs: false, metrics: false });
    expect(r.warnings).toEqual([expect.stringMatching(/^fault late \(2026-01-05T09:30:00.000Z - 2026-01-05T09:35:00.000Z\) lies outside the run .*: not injected$/)]);
    expect(r.truth.faults).toEqual([]);
  });
});

describe('readers refuse a damaged data set, naming the file', () => {
  it('reads the good one', async () => {
    await scanMessages(join(good, 'messages.arrow'), () => {});
    await scanLogs(join(good, 'logs.arrow'), () => {});
    await readMetricFrame(join(good, 'metrics.arrow'));
    await readKpis(join(good, 'kpis.arrow'));
    expect((await readTruth(good)).faults).toHaveLength(1);
  });

  it('an empty or truncated messages.arrow', async () => {
    const empty = join(root, 'empty.arrow');
    writeFileSync(empty, '');
    await expect(scanMessages(empty, () => {})).rejects.toThrow(`${empty}: the messages file is empty (0 bytes): not an Arrow IPC file`);
    const cut = join(root, 'cut.arrow');
    copyFileSync(join(good, 'messages.arrow'), cut);
    truncateSync(cut, 100_000);
    await expect(scanMessages(cut, () => {})).rejects.toThrow(`${cut}: the messages file is truncated (100000 bytes, no ARROW1 footer)`);
  });

  it('a truth.json whose fault ends before it starts', async () => {
    const dir = join(root, 'badtruth');
    mkdirSync(dir);
    const truth = JSON.parse(readFileSync(join(good, 'truth.json'), 'utf8'));
    truth.faults[0].end = truth.faults[0].start - 60_000;
    writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth));
    await expect(readTruth(dir)).rejects.toThrow(/badtruth\/truth\.json:1: faults\[0\]\.end: the fault ends before it starts/);
  });

  it('a set that does not match its manifest: a file from another run, a missing file, a cut file', async () => {
    const other = join(root, 'other');
    await generate({ scenario: small, seed: 2, out: other });
    const mixed = copy('mixed');
    copyFileSync(join(other, 'messages.arrow'), join(mixed, 'messages.arrow'));
    await expect(scanMessages(join(mixed, 'messages.arrow'), () => {})).rejects.toThrow(/mixed\/messages\.arrow: \d+ bytes where .*manifest\.json records \d+: the file was replaced or cut short/);
    await expect(readTruth(mixed)).rejects.toThrow(/messages\.arrow: \d+ bytes where/);
    const missing = copy('missing');
    rmSync(join(missing, 'logs.arrow'));
    await expect(readKpis(join(missing, 'kpis.arrow'))).rejects.toThrow(/missing\/logs\.arrow: missing, though .*manifest\.json lists it: the data set is incomplete/);
    const stranger = copy('stranger');
    copyFileSync(join(good, 'messages.arrow'), join(stranger, 'extra.arrow'));
    await expect(scanMessages(join(stranger, 'extra.arrow'), () => {})).rejects.toThrow(/extra\.arrow: not listed in/);
  });
});

describe('generate publishes a data set whole or not at all', () => {
  it('keeps the previous data set when a run fails, and leaves no scratch behind', async () => {
    const out = join(root, 'kept');
    await generate({ scenario: small, seed: 1, out });
    const before = Object.fromEntries(readdirSync(out).map((f) => [f, sha(join(out, f))]));
    const failing = generate({ scenario: small, seed: 2, out, addFiles: () => Promise.reject(new Error('disk full')) });
    await expect(failing).rejects.toThrow('disk full');
    expect(Object.fromEntries(readdirSync(out).map((f) => [f, sha(join(out, f))]))).toEqual(before);
    expect(readdirSync(out).filter((f) => f.startsWith('.faultline-tmp-'))).toEqual([]);
  });

  it("never touches a user's files in the output folder", async () => {
    const mine = join(root, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'mine');
    await expect(generate({ scenario: small, seed: 1, out: mine })).rejects.toThrow(/holds files faultline did not write \(notes\.txt\)/);
    await generate({ scenario: small, seed: 1, out: mine, force: true, logs: false, metrics: false });
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('mine');
    expect((await readTruth(mine)).faults).toHaveLength(1);
  });
});
