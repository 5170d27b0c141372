/**
 * The re-identification attack (anonymise/reidentify.ts) against anonymised outputs: a slice of
 * the shared Nezha Train-Ticket day with its logs and metrics, and a generated bank's message log.
 * Nothing may be recovered; a control with one field left verbatim shows the attack succeeds
 * when there is something to find.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymise } from '../../anonymise/anonymise.js';
import { reidentify } from '../../anonymise/reidentify.js';
import type { Pseudonymiser } from '../../anonymise/pseudonymise.js';
import { BadRows } from '../../common/bad-rows.js';
import { csvField, readCsvRecords } from '../../common/text-lines.js';
import { loadSpans } from '../../data/inputs.js';
import { generate } from '../../sim/generate.js';
import { scanMessages } from '../../sim/read.js';
import { testPseudonymiser, writeTestKey } from './keys.js';

const DATA = process.env.FAULTLINE_SHARED_DATA ?? path.resolve(__dirname, '../../../shared/data');
const NEZHA = path.join(DATA, 'nezha-tt-2023-01-29');
const NEZHA_COLUMNS = { trace_id: 'TraceID', span_id: 'SpanID', parent_id: 'ParentID', instance: 'PodName', operation: 'OperationName', start_ns: 'StartTimeUnixNano', end_ns: 'EndTimeUnixNano' };
const POD_RE = '^(.+)-[a-z0-9]+-[a-z0-9]+$';
/** Development data: two minutes of the morning, around the day's first fault. */
const MINUTES = ['08_43', '08_44'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-reidentify-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let p: Pseudonymiser;
let keyFile: string;
beforeAll(async () => {
  keyFile = writeTestKey(tmp, 'reidentify');
  p = await testPseudonymiser('reidentify');
});

/** A copy of an output folder with one span column rewritten (the control: one field left verbatim). */
async function withSpanColumn(out: string, copy: string, column: string, values: string[]): Promise<void> {
  fs.cpSync(out, copy, { recursive: true });
  const file = path.join(copy, 'spans', 'spans.csv');
  const lines: string[] = [];
  let at = -1;
  let row = 0;
  for await (const { fields } of readCsvRecords(file)) {
    if (at < 0) at = fields.indexOf(column);
    else fields[at] = values[row++];
    lines.push(fields.map(csvField).join(','));
  }
  expect(row).toBe(values.length);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

const HAVE_NEZHA = fs.existsSync(NEZHA);
if (!HAVE_NEZHA && !process.env.CI) console.warn(`re-identification on Nezha SKIPPED: no data under ${NEZHA} (set FAULTLINE_SHARED_DATA)`);

describe.skipIf(!HAVE_NEZHA && !process.env.CI)('re-identifying Nezha Train-Ticket services (traces, logs, metrics)', () => {
  const input = path.join(tmp, 'nezha');
  const out = path.join(tmp, 'nezha-anon');
  let originals: string[];

  beforeAll(async () => {
    for (const [from, to] of [['trace', 'trace'], ['log', 'log']]) {
      fs.mkdirSync(path.join(input, to), { recursive: true });
      for (const m of MINUTES) fs.copyFileSync(path.join(NEZHA, from, `${m}_${from}.csv.gz`), path.join(input, to, `${m}_${from}.csv.gz`));
    }
    // Every pod's metric file, cut to the slice's ten minutes (the whole day is the report's run).
    fs.mkdirSync(path.join(input, 'metric'));
    for (const f of fs.readdirSync(path.join(NEZHA, 'metric'))) {
      const lines = zlib.gunzipSync(fs.readFileSync(path.join(NEZHA, 'metric', f))).toString().split('\n');
      fs.writeFileSync(path.join(input, 'metric', f), zlib.gzipSync(`${lines.slice(0, 11).join('\n')}\n`));
    }
    await anonymise({
      out, keyFile, spans: [path.join(input, 'trace')], baseline: [path.join(NEZHA, 'normal')], columns: NEZHA_COLUMNS, serviceFromInstance: POD_RE,
      logs: [path.join(input, 'log')], baselineLogs: [path.join(NEZHA, 'normal-log')], metrics: [path.join(input, 'metric')], incidents: path.join(NEZHA, 'fault_list.json'),
    });
    // The names an attacker guesses among: every service of the slice (traces, logs and metrics).
    const pods = fs.readdirSync(path.join(NEZHA, 'metric')).filter((f) => f.startsWith('ts-')).map((f) => f.replace(/_metric\.csv\.gz$/, ''));
    originals = [...new Set(pods.map((pod) => new RegExp(POD_RE).exec(pod)![1]))].sort();
  }, 120_000);

  it('recovers no service and finds no piece of any service name anywhere in the output', async () => {
    const result = await reidentify({ dir: out, originals, pseudonymOf: (s) => p.map('service', s) });
    expect(originals.length).toBeGreaterThanOrEqual(40);
    expect(result.services).toBe(originals.length);
    expect(result.recovered).toEqual([]);
    expect(result.exposed).toEqual([]);
    expect(fs.readdirSync(path.join(out, 'logs')).length).toBeGreaterThan(20);
  }, 60_000);

  it('recovers most services when operation names are left verbatim (the control)', async () => {
    const raw = await loadSpans([path.join(input, 'trace')], { badRows: new BadRows(), columns: NEZHA_COLUMNS, serviceFromInstance: POD_RE });
    const control = path.join(tmp, 'nezha-control');
    await withSpanColumn(out, control, 'operation', Array.from(raw.operation, (o) => raw.strings[o]));
    const result = await reidentify({ dir: control, originals, pseudonymOf: (s) => p.map('service', s) });
    expect(result.recovered.length).toBeGreaterThanOrEqual(15);
    expect(result.exposed.map((e) => e.fragment)).toContain('travelservice');
  }, 60_000);
});

describe('re-identifying a generated bank (message log, KPIs, faults)', () => {
  const gen = path.join(tmp, 'bank');
  const out = path.join(tmp, 'bank-anon');
  let originals: string[];

  beforeAll(async () => {
    await generate({ scenario: 'faults/database-slow', seed: 3, out: gen, duration: '40m', trafficScale: 0.05 });
    await anonymise({ out, keyFile, messages: [path.join(gen, 'messages.arrow')], kpis: [path.join(gen, 'kpis.arrow')], incidents: path.join(gen, 'truth.json') });
    const names = new Set<string>();
    await scanMessages(path.join(gen, 'messages.arrow'), (b) => {
      for (const v of [...b.senderService.values, ...b.receiverService.values]) names.add(v);
    });
    originals = [...names].filter(Boolean).sort();
  }, 60_000);

  it('recovers no service and finds no piece of any service name anywhere in the output', async () => {
    const result = await reidentify({ dir: out, originals, pseudonymOf: (s) => p.map('service', s) });
    expect(originals.length).toBeGreaterThan(30);
    expect(result.services).toBeGreaterThan(30);
    expect(result.recovered).toEqual([]);
    expect(result.exposed).toEqual([]);
  });

  it('recovers services when their topics are left verbatim (the control)', async () => {
    const control = path.join(tmp, 'bank-control');
    fs.cpSync(out, control, { recursive: true });
    const rows = new Set<string>();
    await scanMessages(path.join(gen, 'messages.arrow'), (b) => {
      for (let i = 0; i < b.length; i++) if (b.msgType.values[b.msgType.codes[i]] === 'request') rows.add(`${p.map('service', b.receiverService.values[b.receiverService.codes[i]])},${b.topic.values[b.topic.codes[i]]}`);
    });
    fs.writeFileSync(path.join(control, 'topics.csv'), `service,topic\n${[...rows].sort().join('\n')}\n`);
    const result = await reidentify({ dir: control, originals, pseudonymOf: (s) => p.map('service', s) });
    expect(result.recovered.length).toBeGreaterThanOrEqual(20);
  });
});
