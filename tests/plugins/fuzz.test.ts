/**
 * Misbehaving plugins, generated: subprocesses that crash, hang, flood, break the protocol or
 * return bad values, and JS modules that throw, never settle or return malformed results. Each
 * must end in success or a one-line PluginFailure naming the plugin, the item and the problem,
 * within the time limit plus the kill grace period, and leave no process of its group behind.
 *
 * Short limits (2 s per call, 300 ms grace, 1 MiB replies) keep the file fast. With
 * FAULTLINE_PLUGIN_MATRIX=<file>, each case's outcome and time to error is appended there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { resolveDetector } from '../../detectors/registry.js';
import { runDetector } from '../../detectors/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { rankIncidents } from '../../rca/evaluate.js';
import { setPluginStderr, STDERR_PASSTHROUGH_BYTES } from '../../common/json-lines-process.js';
import { PluginFailure, PluginSpecError, type PluginFailureReason, type PluginLimits } from '../../common/plugin.js';
import type { Incident, Series, SpanTable } from '../../data/types.js';
import type { Candidate } from '../../rca/types.js';
import type { Detection } from '../../detectors/types.js';
import { plantedSpans } from '../rca/scenario.js';
import { liveProcesses, modulePlugin, nodePlugin, recordedPids, recordRow } from './processes.js';

const LIMITS: PluginLimits = { callTimeoutMs: 2000, maxReplyBytes: 1 << 20, killGraceMs: 300 };
/** Beyond the time limit and grace period: process start-up and scheduling on a loaded machine. */
const SLACK_MS = 5000;
const MATRIX = process.env.FAULTLINE_PLUGIN_MATRIX;

const POINTS = 50;
const SERIES: Series[] = ['s0', 's1', 's2'].map((id, k) => {
  const timestamps = Float64Array.from({ length: POINTS }, (_, i) => Date.UTC(2026, 0, 5) + i * 60_000);
  const values = Float64Array.from({ length: POINTS }, (_, i) => 100 + ((i * 7 + k) % 5) - 2);
  values[20] = NaN;
  return { id, timestamps, values };
});
const TRAIN_UNTIL = SERIES[0]!.timestamps[10]!;

let spans: SpanTable;
let incidents: Incident[];
let stderrBytes = 0;
let stderrTail = '';
let restoreStderr: ((chunk: Buffer) => void) | undefined;

beforeAll(async () => {
  const planted = await plantedSpans({ service: 'ledger', kind: 'error' }, 12, 8);
  spans = planted.spans;
  incidents = [
    { ...planted.incident, id: 'inc-1' },
    { ...planted.incident, id: 'inc-2', start: planted.incident.start + 60_000 },
  ];
  restoreStderr = setPluginStderr((chunk) => {
    stderrBytes += chunk.length;
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-1000);
  });
});
afterAll(() => {
  if (restoreStderr) setPluginStderr(restoreStderr);
});

type Expected = 'ok' | { reason: PluginFailureReason; item?: string; message: RegExp } | { resolve: RegExp };

interface Case {
  name: string;
  stage: 'detector' | 'rca';
  /** A subprocess script body (see nodePlugin), a module's source, or a ready spec. */
  plugin: { script: string } | { module: string } | { spec: string };
  expected: Expected;
  /** For a success: how many processes the run may start. */
  processes?: number;
  check?: (result: Detection[] | Array<{ candidates: Candidate[] }>) => void;
}

const detectorV1 = `onMessage((m) => {
  if (m.type === 'hello') send({ type: 'ready', name: 'v1' });
  else if (m.type === 'fit') send({ type: 'fitted' });
  else if (m.type === 'detect') { const d = detection(m.series); delete d.id; send(d); }
});`;
const detectorV2 = (detect: string, extra = '') => `${extra}
onMessage(async (m) => {
  if (m.type === 'hello') send({ type: 'ready', protocol: 2 });
  else if (m.type === 'fit') send({ type: 'fitted', id: m.series.id });
  else if (m.type === 'detect') { ${detect} }
});`;
const rcaV2 = (rank: string, extra = '') => `${extra}
let incidentsSeen = 0;
onMessage(async (m) => {
  if (m.type === 'hello') send({ type: 'ready', protocol: 2 });
  else if (m.type === 'fit') send({ type: 'fitted' });
  else if (m.type === 'rank') { incidentsSeen++; ${rank} }
});`;
/** A detection reply for series `s` as raw text, with `score0` as the first score's JSON text. */
const rawDetection = (score0: string) =>
  `process.stdout.write('{"type":"detection","id":"' + m.series.id + '","scores":[${score0}' + ',0'.repeat(m.series.values.length - 1) + '],"alarms":[' + m.series.values.map(() => 0).join(',') + ']}\\n');`;
const fail = (reason: PluginFailureReason, message: RegExp, item?: string): Expected => ({ reason, message, ...(item ? { item } : {}) });

const CASES: Case[] = [
  // Well-behaved, or odd but valid: these must succeed.
  { name: 'protocol 2: one process for the whole run', stage: 'detector', plugin: { script: detectorV2('send(detection(m.series));') }, expected: 'ok', processes: 1 },
  { name: 'protocol 1 (ready names no version): one process per series', stage: 'detector', plugin: { script: detectorV1 }, expected: 'ok', processes: 3 },
  { name: 'slow replies within the time limit', stage: 'detector', plugin: { script: detectorV2('await sleep(300); send(detection(m.series));') }, expected: 'ok' },
  {
    name: 'slow start within the time limit',
    stage: 'detector',
    plugin: { script: detectorV2('send(detection(m.series));', 'const t = Date.now(); while (Date.now() - t < 700);') },
    expected: 'ok',
  },
  {
    name: 'blank lines and CRLF line ends',
    stage: 'detector',
    plugin: { script: detectorV2(`process.stdout.write('\\r\\n\\n' + JSON.stringify(detection(m.series)) + '\\r\\n');`) },
    expected: 'ok',
  },
  {
    name: 'a reply split across writes inside a multibyte character',
    stage: 'detector',
    plugin: {
      script: detectorV2(`const b = Buffer.from(JSON.stringify({ ...detection(m.series), note: 'série é€' }) + '\\n');
        const cut = b.indexOf(0xc3) + 1;
        process.stdout.write(b.subarray(0, cut)); await sleep(30); process.stdout.write(b.subarray(cut));`),
    },
    expected: 'ok',
  },
  {
    name: 'last reply without a newline, then exit',
    stage: 'detector',
    plugin: { script: detectorV2(`if (m.series.id === 's2') { process.stdout.write(JSON.stringify(detection(m.series)), () => process.exit(0)); } else send(detection(m.series));`) },
    expected: 'ok',
  },
  {
    name: 'stderr flood (5 MB) beside correct replies',
    stage: 'detector',
    plugin: { script: detectorV2(`if (m.series.id === 's0') process.stderr.write('w'.repeat(5 << 20)); send(detection(m.series));`) },
    expected: 'ok',
  },
  {
    name: 'lingers after its input closes and ignores SIGTERM',
    stage: 'detector',
    plugin: { script: detectorV2('send(detection(m.series));', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);") },
    expected: 'ok',
  },
  {
    name: 'a reply near the cap (0.7 MiB of candidates)',
    stage: 'rca',
    plugin: { script: rcaV2(`send({ type: 'ranking', id: m.incident.id, candidates: Array.from({ length: 12000 }, (_, i) => ({ service: 'svc-' + i, score: 12000 - i, explanation: 'xxxxx' })) });`) },
    expected: 'ok',
    check: (r) => expect((r as Array<{ candidates: Candidate[] }>)[0]!.candidates.length).toBe(12000),
  },

  // Crashes and exits.
  { name: 'crashes at start', stage: 'detector', plugin: { script: 'process.exit(3);' }, expected: fail('exit', /exited with code 3 before answering "hello"/, 'series s0') },
  {
    name: 'crashes mid-run with a traceback on stderr',
    stage: 'detector',
    plugin: {
      script: detectorV2(`if (m.series.id === 's1') { process.stderr.write('Traceback (most recent call last):\\n  File "z.py", line 3\\nZeroDivisionError: division by zero\\n'); process.exit(1); } send(detection(m.series));`),
    },
    expected: fail('exit', /exited with code 1 before answering "detect"; its stderr ended with: "ZeroDivisionError: division by zero"/, 'series s1'),
  },
  {
    name: 'exits between series',
    stage: 'detector',
    plugin: { script: detectorV2(`process.stdout.write(JSON.stringify(detection(m.series)) + '\\n', () => m.series.id === 's0' && process.exit(0));`) },
    expected: fail('exit', /exited with code 0 (between requests|before answering "fit")/, 'series s1'),
  },
  { name: 'killed by a signal', stage: 'detector', plugin: { script: detectorV2(`process.kill(process.pid, 'SIGKILL');`) }, expected: fail('exit', /was killed by SIGKILL before answering "detect"/, 'series s0') },
  {
    name: 'closes its stdout and stays',
    stage: 'detector',
    plugin: { script: detectorV2(`fs.closeSync(1); setInterval(() => {}, 1000);`) },
    expected: fail('exit', /closed its stdout before answering "detect"/, 'series s0'),
  },
  { name: 'command not found', stage: 'detector', plugin: { spec: 'cmd:/nonexistent/faultline-plugin --x' }, expected: fail('start', /could not run \/nonexistent\/faultline-plugin: spawn \S+ ENOENT/, 'series s0') },

  // Hangs.
  { name: 'never answers hello', stage: 'detector', plugin: { script: 'setInterval(() => {}, 1000);' }, expected: fail('timeout', /no "ready" reply to "hello" within 2 s \(the plugin time limit\)$/, 'series s0') },
  { name: 'never answers detect', stage: 'detector', plugin: { script: detectorV2('') }, expected: fail('timeout', /no "detection" reply to "detect" within 2 s/, 'series s0') },
  {
    name: 'hangs and ignores SIGTERM',
    stage: 'detector',
    plugin: { script: detectorV2('', "process.on('SIGTERM', () => {});") },
    expected: fail('timeout', /no "detection" reply to "detect" within 2 s/, 'series s0'),
  },
  {
    name: 'a grandchild holds stdout while the plugin exits',
    stage: 'detector',
    plugin: { script: detectorV2('spawnChild(); process.exit(0);') },
    expected: fail('exit', /exited with code 0 before answering "detect"/, 'series s0'),
  },
  {
    name: 'a grandchild holds stdout while the plugin hangs',
    stage: 'detector',
    plugin: { script: detectorV2('', 'spawnChild();') },
    expected: fail('timeout', /no "detection" reply/, 'series s0'),
  },
  {
    name: 'a line with no newline, then silence',
    stage: 'detector',
    plugin: { script: detectorV2('process.stdout.write(JSON.stringify(detection(m.series)));') },
    expected: fail('timeout', /no "detection" reply to "detect" within 2 s \(the plugin time limit\); it wrote \d+ bytes with no newline/, 'series s0'),
  },

  // Floods.
  {
    name: 'flood: a 500 MB reply line',
    stage: 'detector',
    plugin: { script: detectorV2(`const mb = 'x'.repeat(1 << 20); let i = 0; const more = () => { while (i++ < 500) if (!process.stdout.write(mb)) return process.stdout.once('drain', more); }; more();`) },
    expected: fail('too-large', /wrote a reply line longer than the 1048576-byte cap on a reply \(\d+ bytes so far\)/, 'series s0'),
  },
  {
    name: 'flood: endless lines nobody asked for',
    stage: 'detector',
    plugin: { script: detectorV2('send(detection(m.series)); for (let i = 0; i < 100000; i++) send({ type: "fitted", id: m.series.id });') },
    expected: fail('protocol', /(when no reply was due|expected a "fitted" message|answered "fit" for id)/, 'series s1'),
  },

  // Broken protocol.
  { name: 'garbage on stdout', stage: 'detector', plugin: { script: `console.log('Loading model...');\n${detectorV2('send(detection(m.series));')}` }, expected: fail('protocol', /stdout line 1 is not JSON: Loading model\.\.\. \(stdout carries protocol messages only; write logs to stderr\)/, 'series s0') },
  { name: 'partial JSON', stage: 'detector', plugin: { script: detectorV2(`process.stdout.write('{"type":"detection","scores":[1,2\\n');`) }, expected: fail('protocol', /stdout line 3 is not JSON: \{"type":"detection","scores":\[1,2/, 'series s0') },
  { name: 'NaN and Infinity tokens (Python json.dumps default)', stage: 'detector', plugin: { script: detectorV2(rawDetection('NaN')) }, expected: fail('protocol', /is not JSON \(NaN and Infinity are not JSON: send null\)/, 'series s0') },
  { name: 'a reply that is not an object', stage: 'detector', plugin: { script: detectorV2(`process.stdout.write('[1,2,3]\\n');`) }, expected: fail('protocol', /stdout line 3 is not a JSON object: \[1,2,3\]/, 'series s0') },
  { name: 'a reply without a type', stage: 'detector', plugin: { script: detectorV2('const d = detection(m.series); delete d.type; send(d);') }, expected: fail('protocol', /expected a "detection" message/, 'series s0') },
  { name: 'a reply of the wrong type', stage: 'detector', plugin: { script: detectorV2(`send({ type: 'fitted', id: m.series.id });`) }, expected: fail('protocol', /answered "detect" with \{"type":"fitted","id":"s0"\}; expected a "detection" message/, 'series s0') },
  { name: 'a reply for another series', stage: 'detector', plugin: { script: detectorV2(`send({ ...detection(m.series), id: 's9' });`) }, expected: fail('protocol', /answered "detect" for id "s9"; expected "id":"s0"/, 'series s0') },
  {
    name: 'answers twice',
    stage: 'detector',
    plugin: { script: detectorV2('send(detection(m.series));').replace("send({ type: 'fitted', id: m.series.id });", "{ send({ type: 'fitted', id: m.series.id }); send({ type: 'fitted', id: m.series.id }); }") },
    expected: fail('protocol', /(when no reply was due|expected a "detection" message)/, 'series s0'),
  },
  { name: 'chooses an unknown protocol', stage: 'detector', plugin: { script: `onMessage(() => send({ type: 'ready', protocol: 7 }));` }, expected: fail('protocol', /its "ready" reply chose protocol 7; faultline speaks 1 and 2/, 'series s0') },
  { name: 'reports an error', stage: 'detector', plugin: { script: detectorV2(`send({ type: 'error', message: 'model file missing' });`) }, expected: fail('plugin-error', /series s0: reported an error: model file missing$/) },
  { name: 'reports an error with a 100 kB message', stage: 'detector', plugin: { script: detectorV2(`send({ type: 'error', message: 'x'.repeat(100000) });`) }, expected: fail('plugin-error', /reported an error: x{500}\.\.\. \(100000 characters\)$/, 'series s0') },

  // Wrong values.
  { name: 'one score too few', stage: 'detector', plugin: { script: detectorV2('const d = detection(m.series); d.scores.pop(); send(d);') }, expected: fail('result', /its "detection" reply: got 49 scores and 50 alarms for 50 points/, 'series s0') },
  { name: 'a score that is text', stage: 'detector', plugin: { script: detectorV2(`const d = detection(m.series); d.scores[3] = 'high'; send(d);`) }, expected: fail('result', /scores\[3\] is "high"; a score is a number, or null for none/, 'series s0') },
  { name: 'an alarm of 2', stage: 'detector', plugin: { script: detectorV2('const d = detection(m.series); d.alarms[2] = 2; send(d);') }, expected: fail('result', /alarms\[2\] is 2; an alarm is 0 or 1/, 'series s0') },
  { name: 'a number too large for a double (1e400)', stage: 'detector', plugin: { script: detectorV2(rawDetection('1e400')) }, expected: fail('result', /scores\[0\] is Infinity; a score is a finite number/, 'series s0') },
  { name: 'scores as an object', stage: 'detector', plugin: { script: detectorV2('send({ ...detection(m.series), scores: { a: 1 } });') }, expected: fail('result', /"scores" must be an array of 50 numbers, got \{"a":1\}/, 'series s0') },
  { name: 'a threshold that is text', stage: 'detector', plugin: { script: detectorV2(`send({ ...detection(m.series), threshold: 'high' });`) }, expected: fail('result', /"threshold" is "high"; it is a finite number when given/, 'series s0') },

  // RCA subprocesses.
  { name: 'RCA: protocol 2, well-behaved', stage: 'rca', plugin: { script: rcaV2('send(ranking(m));') }, expected: 'ok', processes: 1 },
  {
    name: 'RCA: protocol 1 (no ids, no fit)',
    stage: 'rca',
    plugin: { script: `onMessage((m) => { if (m.type === 'hello') send({ type: 'ready' }); else if (m.type === 'rank') { const r = ranking(m); delete r.id; send(r); } });` },
    expected: 'ok',
  },
  { name: 'RCA: candidates not an array', stage: 'rca', plugin: { script: rcaV2(`send({ type: 'ranking', id: m.incident.id, candidates: 'ledger' });`) }, expected: fail('result', /its "ranking" reply: "candidates" must be an array of candidates, got "ledger"/, 'incident inc-1') },
  { name: 'RCA: a NaN score (null)', stage: 'rca', plugin: { script: rcaV2(`send({ type: 'ranking', id: m.incident.id, candidates: [{ service: 'a', score: null }] });`) }, expected: fail('result', /"candidates"\[0\]\.score is null; it must be a finite number/, 'incident inc-1') },
  { name: 'RCA: a candidate without a service', stage: 'rca', plugin: { script: rcaV2(`send({ type: 'ranking', id: m.incident.id, candidates: [{ score: 1 }] });`) }, expected: fail('result', /"candidates"\[0\]\.service is undefined; it must be a non-empty string/, 'incident inc-1') },
  {
    name: 'RCA: the same candidate twice',
    stage: 'rca',
    plugin: { script: rcaV2(`send({ type: 'ranking', id: m.incident.id, candidates: [{ service: 'a', score: 2 }, { service: 'b', score: 1 }, { service: 'a', score: 0 }] });`) },
    expected: fail('result', /"candidates"\[2\] repeats "candidates"\[0\] \(service "a"\)/, 'incident inc-1'),
  },
  { name: 'RCA: a ranking for another incident', stage: 'rca', plugin: { script: rcaV2(`send({ ...ranking(m), id: 'inc-9' });`) }, expected: fail('protocol', /answered "rank" for id "inc-9"; expected "id":"inc-1"/, 'incident inc-1') },
  { name: 'RCA: hangs on the second incident', stage: 'rca', plugin: { script: rcaV2('if (incidentsSeen === 1) send(ranking(m));') }, expected: fail('timeout', /no "ranking" reply to "rank" within 2 s/, 'incident inc-2') },
  { name: 'RCA: crashes on the second incident', stage: 'rca', plugin: { script: rcaV2('if (incidentsSeen === 2) process.exit(5); send(ranking(m));') }, expected: fail('exit', /exited with code 5 before answering "rank"/, 'incident inc-2') },
  {
    name: 'RCA: a ranking past the reply cap',
    stage: 'rca',
    plugin: { script: rcaV2(`send({ type: 'ranking', id: m.incident.id, candidates: Array.from({ length: 100000 }, (_, i) => ({ service: 'svc-' + i, score: 1 })) });`) },
    expected: fail('too-large', /longer than the 1048576-byte cap on a reply/, 'incident inc-1'),
  },

  // JS modules, in process.
  {
    name: 'module: detect throws',
    stage: 'detector',
    plugin: { module: `export default { name: 'm', description: 'd', create: () => ({ detect() { throw new Error('boom'); } }) };` },
    expected: fail('plugin-error', /^detector m \(\S+plugin\.mjs\): series s0: detect\(\) threw: boom$/),
  },
  {
    name: 'module: detect never settles',
    stage: 'detector',
    plugin: { module: `export default { name: 'm', description: 'd', create: () => ({ detect: () => new Promise(() => {}) }) };` },
    expected: fail('timeout', /series s0: detect\(\) did not finish within 2 s \(the plugin time limit\)/),
  },
  {
    name: 'module: fit rejects',
    stage: 'detector',
    plugin: { module: `export default { name: 'm', description: 'd', create: () => ({ fit: async () => { throw 'no data'; }, detect() {} }) };` },
    expected: fail('plugin-error', /series s0: fit\(\) threw: no data/),
  },
  {
    name: 'module: plain arrays instead of typed arrays',
    stage: 'detector',
    plugin: { module: `export default { name: 'm', description: 'd', create: () => ({ detect: (s) => ({ scores: Array.from(s.values), alarms: [] }) }) };` },
    expected: fail('result', /detect\(\) must return \{ scores: Float64Array, alarms: Uint8Array \}, got scores: Array, alarms: Array/, 'series s0'),
  },
  {
    name: 'module: wrong length',
    stage: 'detector',
    plugin: { module: `export default { name: 'm', description: 'd', create: () => ({ detect: (s) => ({ scores: new Float64Array(3), alarms: new Uint8Array(3) }) }) };` },
    expected: fail('result', /got 3 scores and 3 alarms for 50 points/, 'series s0'),
  },
  {
    name: 'module: returns nothing',
    stage: 'detector',
    plugin: { module: `export default { name: 'm', description: 'd', create: () => ({ detect() {} }) };` },
    expected: fail('result', /detect\(\) must return .*, got undefined/, 'series s0'),
  },
  {
    name: 'module: create throws',
    stage: 'detector',
    plugin: { module: `export default { name: 'm', description: 'd', create() { throw new TypeError('bad option'); } };` },
    expected: fail('plugin-error', /^detector m \(\S+\): create\(\) threw: bad option$/),
  },
  {
    name: 'module: create returns no detect',
    stage: 'detector',
    plugin: { module: `export default { name: 'm', description: 'd', create: () => ({ score() {} }) };` },
    expected: fail('result', /create\(\) must return an object with detect\(\), got one without detect/),
  },
  { name: 'module: throws while loading', stage: 'detector', plugin: { module: `throw new Error('cannot import numpy.js');` }, expected: { resolve: /^detector module \S+plugin\.mjs: could not be loaded: cannot import numpy\.js$/ } },
  { name: 'module: never finishes loading', stage: 'detector', plugin: { module: `await new Promise(() => {});\nexport default {};` }, expected: { resolve: /did not finish loading within 2 s \(the plugin time limit\)/ } },
  {
    name: 'module RCA: rank returns a map',
    stage: 'rca',
    plugin: { module: `export default { name: 'm', description: 'd', create: () => ({ rank: () => new Map() }) };` },
    expected: fail('result', /incident inc-1: rank\(\) result must be an array of candidates, got \{\}/),
  },
  {
    name: 'module RCA: an infinite score',
    stage: 'rca',
    plugin: { module: `export default { name: 'm', description: 'd', create: () => ({ rank: () => [{ service: 'a', score: Infinity, explanation: '' }] }) };` },
    expected: fail('result', /rank\(\) result\[0\]\.score is Infinity; it must be a finite number/, 'incident inc-1'),
  },
  {
    name: 'module RCA: rank never settles on the second incident',
    stage: 'rca',
    plugin: { module: `let n = 0; export default { name: 'm', description: 'd', create: () => ({ rank: () => (++n === 2 ? new Promise(() => {}) : [{ service: 'a', score: 1 }]) }) };` },
    expected: fail('timeout', /incident inc-2: rank\(\) did not finish within 2 s/),
  },
];

interface Outcome {
  result?: Detection[] | Array<{ candidates: Candidate[] }>;
  error?: unknown;
  ms: number;
  pids?: { leaders: number[]; all: number[] };
}

async function run(c: Case): Promise<Outcome> {
  let spec: string;
  let pidFile: string | undefined;
  if ('script' in c.plugin) {
    const p = nodePlugin(c.plugin.script);
    spec = p.command;
    pidFile = p.pids;
  } else if ('module' in c.plugin) spec = modulePlugin(c.plugin.module);
  else spec = c.plugin.spec;
  const t0 = performance.now();
  const out: Outcome = { ms: 0 };
  let close: (() => Promise<void>) | undefined;
  try {
    if (c.stage === 'detector') {
      const resolved = await resolveDetector(spec, { limits: LIMITS });
      close = resolved.close;
      out.result = await runDetector(resolved, SERIES, { trainUntil: TRAIN_UNTIL });
    } else {
      const resolved = await resolveRcaAlgorithm(spec, { limits: LIMITS });
      close = resolved.close;
      const ranked = await rankIncidents(resolved, spans, incidents);
      out.result = ranked;
      // A failing incident is scored as a miss, not thrown: the first failure is this case's error.
      const failed = ranked.find((r) => r.failure !== undefined);
      if (failed) out.error = failed.cause;
    }
  } catch (err) {
    out.error = err;
  }
  out.ms = performance.now() - t0;
  await close?.();
  if (pidFile) out.pids = recordedPids(pidFile);
  return out;
}

describe.concurrent('misbehaving plugins end in success or a clear error, in bounded time, with no process left', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const o = await run(c);
    const e = o.error;
    const message = e instanceof Error ? e.message : String(e);
    recordRow(MATRIX, {
      case: c.name,
      stage: c.stage,
      outcome: e === undefined ? 'ok' : e instanceof PluginFailure ? `${e.reason}: ${message}` : `${(e as Error).constructor.name}: ${message}`,
      ms: Math.round(o.ms),
      processes: o.pids?.leaders.length,
    });
    if (c.expected === 'ok') {
      expect(e, message).toBeUndefined();
      c.check?.(o.result!);
      if (c.processes !== undefined) expect(o.pids!.leaders.length).toBe(c.processes);
    } else if ('resolve' in c.expected) {
      expect(e).toBeInstanceOf(PluginSpecError);
      expect(message).toMatch(c.expected.resolve);
    } else {
      expect(e, 'expected a PluginFailure').toBeInstanceOf(PluginFailure);
      const f = e as PluginFailure;
      expect(message).toMatch(c.expected.message);
      expect(f.reason).toBe(c.expected.reason);
      expect(message.startsWith(f.plugin)).toBe(true);
      if (c.expected.item) expect(message).toContain(`: ${c.expected.item}: `);
      expect(message).not.toMatch(/\n/); // one line: no stack trace reaches the user
      expect(o.ms).toBeLessThan(LIMITS.callTimeoutMs + LIMITS.killGraceMs + SLACK_MS);
    }
    if (o.pids) expect(liveProcesses(o.pids.all, o.pids.leaders)).toEqual([]);
  });
});

describe('plugin output that is not replies', () => {
  it('passes plugin stderr through up to its cap, and says when it drops the rest', async () => {
    stderrBytes = 0;
    stderrTail = '';
    const o = await run(CASES.find((c) => c.name.startsWith('stderr flood'))!);
    expect(o.error).toBeUndefined();
    expect(stderrBytes).toBeLessThan(STDERR_PASSTHROUGH_BYTES * 2);
    expect(stderrTail).toMatch(/\[faultline: detector cmd:[^\]]+plugin\.cjs: stderr past 1048576 bytes dropped\]/);
  });
  it('reports a plugin file that is not executable', async () => {
    const p = nodePlugin('');
    const file = p.command.split(' ')[1]!;
    writeFileSync(file, '#!/bin/sh\nexit 0\n');
    chmodSync(file, 0o644);
    const resolved = await resolveDetector(`cmd:${file}`, { limits: LIMITS });
    await expect(runDetector(resolved, SERIES, { trainUntil: TRAIN_UNTIL })).rejects.toThrow(/series s0: could not run \S+plugin\.cjs: spawn \S+ EACCES/);
    await resolved.close();
  });
  it('refuses limits that are not positive numbers', async () => {
    await expect(resolveDetector('cmd:true', { limits: { callTimeoutMs: 0 } })).rejects.toThrow(/plugin limit callTimeoutMs must be a number above 0/);
    await expect(resolveDetector('cmd:true', { limits: { killGraceMs: Infinity } })).rejects.toThrow(/plugin limit killGraceMs/);
  });
});
