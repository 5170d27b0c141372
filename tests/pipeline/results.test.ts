/**
 * Results files a line per item (read whole by any JSON tool, streamed by faultline), the k-way
 * merge and its checks, the report's bounded share of each item, and a run's items/ folder:
 * claimed in the output marker, resumed or discarded, removed when the report is published.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OUTPUT_MARKER, publishDir } from '../../common/output-dir.js';
import { ItemStore, ITEMS_DIR } from '../../pipeline/item-store.js';
import { MAX_CURVE_ITEMS } from '../../reports/html.js';
import { merge, mergeItems, ReportItems } from '../../reports/merge.js';
import { openResultsFile, readResultsFile, writeResultsFile, type ResultsFile, type RunConfig } from '../../reports/results-file.js';
import { DEFAULT_MTTR_MODEL } from '../../scores/mttr.js';
import type { ItemResult } from '../../scores/item-result.js';
import { sampleResults } from '../reports/fixtures.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-results-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** n items under distinct sorted keys, copies of the two fixtures. */
function items(n: number): ItemResult[] {
  const [a, b] = sampleResults();
  return Array.from({ length: n }, (_, k) => ({ ...structuredClone(k % 2 ? b! : a!), key: `item-${String(k).padStart(3, '0')}` }));
}

const config = (sweep: string[]): RunConfig => ({
  suite: 't', title: 't', scenarios: ['s'], seeds: [1], duration: null, trafficScale: null,
  detectors: ['ksigma', 'spot'], rca: ['alpha', 'beta'], mttr: DEFAULT_MTTR_MODEL, minAc1: null, sweep,
});

function shardFiles(all: ItemResult[], count: number, dir: string): string[] {
  const sweep = all.map((i) => i.key);
  return Array.from({ length: count }, (_, s) => {
    const out = path.join(dir, `shard-${s + 1}`);
    mkdirSync(out, { recursive: true });
    const file: ResultsFile = { schema: 'faultline/results', version: 1, config: config(sweep), shard: { index: s + 1, count }, items: all.filter((_, k) => k % count === s) };
    writeResultsFile(out, file);
    return out;
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('results files', () => {
  it('are one JSON document laid out a line per item, streamed back item by item', async () => {
    const all = items(5);
    const dir = path.join(tmp, 'layout');
    mkdirSync(dir);
    const file = writeResultsFile(dir, { schema: 'faultline/results', version: 1, config: config(all.map((i) => i.key)), shard: null, items: all });
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text).items).toEqual(all);
    expect(text.trimEnd().split('\n')).toHaveLength(all.length + 2);
    const reader = await openResultsFile(dir);
    expect(reader.header.config.sweep).toEqual(all.map((i) => i.key));
    expect((await collect(reader.items())).map((i) => JSON.parse(i.text))).toEqual(all);
    // Reformatted by another tool: still read, whole.
    writeFileSync(path.join(dir, 'pretty.json'), JSON.stringify(JSON.parse(text), null, 2));
    expect((await readResultsFile(path.join(dir, 'pretty.json'))).items).toEqual(all);
    // Cut short (a copy that stopped part-way): refused when the items run out.
    writeFileSync(path.join(dir, 'cut.json'), text.split('\n').slice(0, 3).join('\n'));
    await expect(collect((await openResultsFile(path.join(dir, 'cut.json'))).items())).rejects.toThrow(/cut\.json: ends before its items do/);
  });

  it('name the line and column of broken JSON, the item line included, not a byte offset', async () => {
    const all = items(3);
    const dir = path.join(tmp, 'broken');
    mkdirSync(dir);
    const lines = readFileSync(writeResultsFile(dir, { schema: 'faultline/results', version: 1, config: config(all.map((i) => i.key)), shard: null, items: all }), 'utf8').split('\n');
    const cut = path.join(dir, 'cut-whole.json');
    writeFileSync(cut, lines[0]!.slice(0, 40));
    await expect(openResultsFile(cut)).rejects.toThrow(`${cut}: line 1, column 41: not valid JSON (`);
    // An item line broken after its key: found when the item is read.
    const broken = path.join(dir, 'broken-item.json');
    writeFileSync(broken, [...lines.slice(0, 2), lines[2]!.replace('"start"', 'start'), ...lines.slice(3)].join('\n'));
    await expect(readResultsFile(broken)).rejects.toThrow(new RegExp(`^${broken}: line 3, column \\d+: not valid JSON \\(Expected double-quoted property name at "start`));
  });
});

describe('streaming merge', () => {
  it('k-way merges shards into sweep order, as the in-memory results', async () => {
    const all = items(11);
    const shards = shardFiles(all, 3, path.join(tmp, 'k3'));
    const readers = await Promise.all(shards.reverse().map((s) => openResultsFile(s)));
    const merged = await collect(mergeItems(readers, all.map((i) => i.key)));
    expect(merged.map((m) => JSON.parse(m.text))).toEqual(all);
    const res = await merge({ inputs: shards, out: path.join(tmp, 'k3-merged') });
    expect(res.summary.items.map((i) => i.key)).toEqual(all.map((i) => i.key));
    expect((await readResultsFile(path.join(tmp, 'k3-merged'))).items).toEqual(all);
  });

  it('refuses a missing shard, a duplicate, an item outside the sweep, and unsorted input', async () => {
    const all = items(6);
    const dir = path.join(tmp, 'bad');
    const shards = shardFiles(all, 2, dir);
    await expect(merge({ inputs: [shards[0]!], out: path.join(dir, 'm1') })).rejects.toThrow(/shard 2\/2 not given/);
    await expect(merge({ inputs: [shards[0]!, shards[0]!, shards[1]!], out: path.join(dir, 'm2') })).rejects.toThrow(/item item-000 is in both/);
    const sweep = all.map((i) => i.key);
    const write = (name: string, list: ItemResult[]) => {
      mkdirSync(path.join(dir, name));
      writeResultsFile(path.join(dir, name), { schema: 'faultline/results', version: 1, config: config(sweep), shard: null, items: list });
      return path.join(dir, name);
    };
    const outside = write('outside', [...all, { ...all[0]!, key: 'zzz' }]);
    await expect(merge({ inputs: [outside], out: path.join(dir, 'm3') })).rejects.toThrow(/item zzz is outside the sweep/);
    const unsorted = write('unsorted', [all[1]!, all[0]!, ...all.slice(2)]);
    await expect(merge({ inputs: [unsorted], out: path.join(dir, 'm4') })).rejects.toThrow(/not in key order at item-000/);
    expect(existsSync(path.join(dir, 'm3'))).toBe(false); // a failed merge publishes nothing
  });

  it('keeps the KPI curves of only the items the report draws', () => {
    const report = new ReportItems();
    for (const item of items(MAX_CURVE_ITEMS + 5)) report.add(item);
    expect(report.items.filter((i) => i.kpiCurves.length > 0)).toHaveLength(MAX_CURVE_ITEMS);
    expect(report.items.slice(0, MAX_CURVE_ITEMS).every((i) => i.kpiCurves.length > 0)).toBe(true);
  });
});

describe("a run's items folder", () => {
  const output = { command: 'run' };

  it('is claimed in the marker, resumed by the same run, discarded by another, removed on publishing', async () => {
    const out = path.join(tmp, 'store');
    const keys = items(3).map((i) => i.key);
    const first = ItemStore.open(out, { run: 1 }, keys, output);
    expect(first).toMatchObject({ resumed: 0, discarded: 0 });
    expect(JSON.parse(readFileSync(path.join(out, OUTPUT_MARKER), 'utf8')).entries).toEqual([ITEMS_DIR]);
    for (const item of items(2)) first.store.write(item);
    writeFileSync(path.join(out, ITEMS_DIR, '.x.json.123.tmp'), '{"key":"item-0'); // a write cut short
    const again = ItemStore.open(out, { run: 1 }, keys, output);
    expect(again).toMatchObject({ resumed: 2, discarded: 0 });
    expect(again.store.has('item-001') && !again.store.has('item-002')).toBe(true);
    expect(JSON.parse(again.store.text('item-001'))).toEqual(items(2)[1]);
    expect(readdirSync(path.join(out, ITEMS_DIR)).some((n) => n.endsWith('.tmp'))).toBe(false);
    const other = ItemStore.open(out, { run: 2 }, keys, output);
    expect(other).toMatchObject({ resumed: 0, discarded: 2 });
    other.store.write(items(1)[0]!);
    await publishDir(out, async (stage) => writeFileSync(path.join(stage, 'results.json'), '{}'), output);
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'results.json']);
    expect(JSON.parse(readFileSync(path.join(out, OUTPUT_MARKER), 'utf8')).entries).toEqual(['results.json']);
  });

  it('is never a folder faultline did not write', () => {
    const out = path.join(tmp, 'foreign');
    mkdirSync(path.join(out, ITEMS_DIR), { recursive: true });
    expect(() => ItemStore.open(out, { run: 1 }, [], output)).toThrow(/holds files faultline did not write \(items\)/);
    expect(() => ItemStore.open(out, { run: 1 }, [], { ...output, force: true })).toThrow(/items is there and was not written by faultline/);
  });
});
