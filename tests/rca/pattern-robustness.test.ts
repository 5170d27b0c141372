import { describe, expect, it } from 'vitest';
import { rankIncidents } from '../../rca/evaluate.js';
import { resolveRcaAlgorithm } from '../../rca/registry.js';
import { calleeNamed, logEvidence } from '../../rca/signals/log-evidence.js';
import { countPairs, EventCodes, PAIR, pairsWithin, preferReference, spanPatterns } from '../../rca/signals/event-patterns.js';
import { indexSpans } from '../../rca/span-stats.js';
import { selectTraces } from '../../data/span-table.js';
import { LogTemplateMiner } from '../../data/log-templates.js';
import { SPAN_STATUS, type Incident, type SpanTable } from '../../data/types.js';
import { ledgerAccountLines, logTable, TraceBuilder, type LogLine } from './telemetry.js';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;

/** A trace every 2 s for 40 min: gateway -> account -> ledger, or gateway -> fx. */
function traffic(): SpanTable {
  const b = new TraceBuilder();
  for (let k = 0; k < 1200; k++) {
    const w = 1 + (k % 7) / 10;
    b.add(
      `t${k}`,
      T0 + k * 2000,
      k % 2 === 0
        ? { service: 'gateway', work: 2 * w, children: [{ service: 'account', work: 4 * w, hop: 1, children: [{ service: 'ledger', work: 6 * w, hop: 1 }] }] }
        : { service: 'gateway', work: 2 * w, children: [{ service: 'fx', work: 3 * w, hop: 1 }] },
    );
  }
  return b.tables().merged;
}

const between = (t: number, from: number, to: number) => t >= T0 + from * MIN && t < T0 + to * MIN;

describe('a reference that an earlier fault has not left', () => {
  // ledger fails from minute 20 to 23 and again from 26: the minutes before the second incident still carry the first fault's errors.
  const spans = traffic();
  const fault = (t: number) => between(t, 20, 23) || between(t, 26, 40);
  const logs = logTable(
    ledgerAccountLines(spans, (svc, t, i) => (svc === 'ledger' && fault(t) ? { level: 'error', message: `ledger posting failed for entry ${i}` } : undefined)),
    new LogTemplateMiner(),
  );
  const first: Incident = { id: 'first', start: T0 + 20 * MIN, end: T0 + 22 * MIN, rootCause: ['ledger'] };
  const second: Incident = { id: 'second', start: T0 + 26 * MIN, end: T0 + 28 * MIN, rootCause: ['ledger'] };

  it('judges error lines against the fault-free reference where it knows the instance, the minutes before the incident elsewhere', () => {
    const miner = new LogTemplateMiner();
    const all = ledgerAccountLines(spans, (svc, t, i) => (svc === 'ledger' && fault(t) ? { level: 'error', message: `ledger posting failed for entry ${i}` } : undefined));
    const pick = (from: number, to: number) => logTable(all.filter((l) => between(l.time, from, to)), miner);
    const window = pick(26, 28);
    const recent = pick(23.5, 26.5); // half a minute of the fault still in it
    const reference = pick(0, 20);
    const alone = logEvidence(window, recent).get('ledger-1')!;
    const preferred = logEvidence(window, reference, { fallback: recent }).get('ledger-1')!;
    expect(preferred.z).toBeGreaterThan(3 * Math.max(alone.z, 1));
    expect(preferred.surges.length).toBe(1);
    // An instance the fault-free data holds too few lines of is judged against the fallback.
    const few = logEvidence(window, logTable([], miner), { fallback: recent }).get('ledger-1')!;
    expect(few.z).toBe(alone.z);
  });

  it('ranks the second incident by its fault, where a reference pooled with the minutes before it hides the fault', async () => {
    const ranked = async (options: string) => rankIncidents(await resolveRcaAlgorithm(`pattern-contrast${options}`), spans, [first, second], { logs, localBaselineMs: 5 * MIN });
    const preferred = await ranked('');
    expect(preferred.map((r) => r.candidates[0]?.service)).toEqual(['ledger', 'ledger']);
    const pooled = await ranked(':faultFreeFirst=false');
    const score = (r: (typeof pooled)[number]) => r.candidates.find((c) => c.service === 'ledger')?.score ?? 0;
    expect(score(pooled[1])).toBeLessThan(score(preferred[1]) / 2);
  });

  it('takes the event patterns of the fault-free reference where it saw the source event often enough, the fallback elsewhere', () => {
    const codes = new EventCodes();
    const count = (t: SpanTable) => countPairs(t, indexSpans(t), spanPatterns(t, codes).calls);
    const faultFree = count(selectTraces(spans, T0, T0 + 2 * MIN));
    const fallback = count(spans);
    const start = codes.code('start account');
    const merged = preferReference(faultFree, fallback, 1000);
    // Two minutes hold 30 account spans: too few for 1000, so the fallback's counts stand; with 5, the fault-free ones.
    expect(merged.sources.get('account')!.get(start)).toBe(fallback.sources.get('account')!.get(start));
    expect(preferReference(faultFree, fallback, 5).sources.get('account')!.get(start)).toBe(faultFree.sources.get('account')!.get(start));
  });
});

describe('log sequences where logs were kept', () => {
  it('compares only the spans that start while the table\'s logs were kept', () => {
    const spans = traffic();
    const codes = new EventCodes();
    const logs = logTable(ledgerAccountLines(spans, () => undefined).filter((l) => between(l.time, 10, 20)), new LogTemplateMiner());
    const p = spanPatterns(spans, codes, logs).logs!;
    const kept = pairsWithin(spans, p, logs.time[0], logs.time[logs.length - 1]);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(p.length / 2);
    for (let k = 0; k < kept.length; k++) expect(between(spans.start[kept.span[k]], 10, 20)).toBe(true);
    // Every account span of those minutes is followed by its line, as in a window whose logs are all there.
    const counts = countPairs(spans, indexSpans(spans), kept);
    const starts = [...counts.sources.get('account')!].filter(([e]) => codes.names[e].startsWith('start '));
    expect(starts.length).toBe(1);
    const [start, n] = starts[0];
    const followers = [...counts.pairs.get('account')!].filter(([key]) => Math.floor(key / PAIR) === start);
    expect(followers.map(([key]) => codes.names[key - start * PAIR])).toEqual(['log account handling request <num>']);
    expect(followers[0][1]).toBe(n);
  });
});

describe('error templates the fault-free system already writes', () => {
  it('expects a template at the rate the whole system wrote it, not only the instance', () => {
    const miner = new LogTemplateMiner();
    const line = (instance: string, k: number, level: LogLine['level'], message: string): LogLine => ({ time: T0 + k * 1000, instance, level, message });
    // Reference: account-1 writes the retry error now and then; ledger-1 never does. Window: ledger-1 writes it at the system's rate.
    const ref: LogLine[] = [];
    const win: LogLine[] = [];
    for (let k = 0; k < 600; k++) {
      ref.push(line('account-1', k, 'info', `account handling ${k}`), line('ledger-1', k, 'info', `ledger handling ${k}`));
      if (k % 50 === 0) ref.push(line('account-1', k, 'error', `connection pool retry ${k}`));
    }
    for (let k = 600; k < 900; k++) {
      win.push(line('account-1', k, 'info', `account handling ${k}`), line('ledger-1', k, 'info', `ledger handling ${k}`));
      if (k % 50 === 0) win.push(line('ledger-1', k, 'error', `connection pool retry ${k}`));
    }
    // A new template nobody wrote before stays a surge.
    for (let k = 600; k < 610; k++) win.push(line('ledger-1', k, 'error', `ledger posting failed for entry ${k}`));
    const reference = logTable(ref, miner);
    const window = logTable(win, miner);
    const surges = (opts = {}) => logEvidence(window, reference, opts).get('ledger-1')!.surges.map((s) => window.templates[s.template]);
    expect(surges()).toEqual(['ledger posting failed for entry <num>']);
    expect(surges({ systemRate: false }).sort()).toEqual(['connection pool retry <num>', 'ledger posting failed for entry <num>']);
  });
});

describe('a caller reporting its callee', () => {
  it('names the callee a caller\'s template holds as a whole word, and nothing when the name is hidden or ambiguous', () => {
    const callees = ['payment-service', 'order-service', 'order-other-service', 'db'];
    expect(calleeNamed('No reply from payment-service within <num> ms', callees)).toBe('payment-service');
    expect(calleeNamed('call to order-other-service returned TIMEOUT', callees)).toBe('order-other-service');
    expect(calleeNamed('No instances available for <*>', callees)).toBeUndefined();
    expect(calleeNamed('payment-service-v2 unreachable', callees)).toBeUndefined();
    expect(calleeNamed('order-service and payment-service both failed', callees)).toBeUndefined();
    expect(calleeNamed('db connection refused', callees)).toBeUndefined(); // too short a name to tell from a word
  });

  it('puts a caller\'s error about a silent callee on the callee', async () => {
    const spans = traffic();
    const incident: Incident = { id: 'i', start: T0 + 30 * MIN, end: T0 + 40 * MIN, rootCause: ['ledger'] };
    const logs = logTable(
      ledgerAccountLines(spans, (svc, t, i) => (svc === 'account' && t >= incident.start ? { level: 'error', message: `no reply from ledger within 3000 ms for request ${i}` } : undefined)),
      new LogTemplateMiner(),
    );
    const top = async (options: string) => (await rankIncidents(await resolveRcaAlgorithm(`pattern-contrast${options}`), spans, [incident], { logs }))[0].candidates[0];
    const named = await top('');
    expect(named.service).toBe('ledger');
    expect(named.instance).toBe('ledger-1');
    expect(named.explanation).toMatch(/^account-1 reports it: error template "no reply from ledger/);
    expect((await top(':namedCallees=false')).service).toBe('account');
  });
});

describe('a caller reporting a failed call', () => {
  const incident: Incident = { id: 'i', start: T0 + 30 * MIN, end: T0 + 40 * MIN, rootCause: ['ledger'] };
  /** ledger's calls fail in the incident (on the caller's side with `callerSide`); account logs an error about each. */
  function failing(message: string, callerSide: boolean) {
    const spans = traffic();
    for (let r = 0; r < spans.length; r++) {
      if (spans.strings[spans.service[r]] !== 'ledger' || spans.start[r] < incident.start) continue;
      spans.status[r] = SPAN_STATUS.system;
      spans.callerFault![r] = callerSide ? 1 : 0;
    }
    const logs = logTable(
      ledgerAccountLines(spans, (svc, t, i) => (svc === 'account' && t >= incident.start ? { level: 'error', message: `${message} ${i}` } : undefined)),
      new LogTemplateMiner(),
    );
    return async (options = '') => (await rankIncidents(await resolveRcaAlgorithm(`pattern-contrast${options}`), spans, [incident], { logs }))[0].candidates[0];
  }

  it('puts an error that names no callee on the callee whose call failed below the lines', async () => {
    const top = failing('posting aborted for request', false);
    const found = await top();
    expect(found.service).toBe('ledger');
    expect(found.instance).toBe('ledger-1');
    expect(found.explanation).toMatch(/^account-1 reports the failed calls to it in \d+ of its \d+ spans/);
    expect((await top(':failedCallees=false')).service).toBe('account');
  });

  it('keeps a failure on the caller\'s side on the caller, named callee or not', async () => {
    expect((await failing('call to ledger failed with SYS_ROUTE_NOT_FOUND for request', true)()).service).toBe('account');
    expect((await failing('posting aborted for request', true)()).service).toBe('account');
    // The same lines about calls that reached ledger and failed there are ledger's.
    expect((await failing('call to ledger failed with SYS_ROUTE_NOT_FOUND for request', false)()).service).toBe('ledger');
  });
});

describe('a fault on one instance of several', () => {
  it('contrasts each instance with its own reference, where its healthy peers dilute the service\'s change', async () => {
    // account runs three instances; from minute 30, a third of account-2's calls take eight times as long.
    const b = new TraceBuilder();
    for (let k = 0; k < 1200; k++) {
      const w = 1 + (k % 7) / 10;
      const instance = `account-${1 + ((k >> 1) % 3)}`;
      const slow = k * 2000 >= 30 * MIN && (k >> 1) % 9 === 1 ? 8 : 1; // a third of account-2's calls
      b.add(
        `t${k}`,
        T0 + k * 2000,
        k % 2 === 0
          ? { service: 'gateway', work: 2 * w, children: [{ service: 'account', instance, work: 4 * w * slow, hop: 1, children: [{ service: 'ledger', work: 6 * w, hop: 1 }] }] }
          : { service: 'gateway', work: 2 * w, children: [{ service: 'fx', work: 3 * w, hop: 1 }] },
      );
    }
    const spans = b.tables().merged;
    const incident: Incident = { id: 'i', start: T0 + 30 * MIN, end: T0 + 40 * MIN, rootCause: ['account'] };
    const rank = async (options = '') => (await rankIncidents(await resolveRcaAlgorithm(`pattern-contrast${options}`), spans, [incident]))[0];
    const found = await rank();
    expect(found.candidates[0].service).toBe('account');
    expect(found.candidates[0].instance).toBe('account-2');
    expect(found.candidates[0].explanation).toMatch(/slow/);
    // Pooled over the three instances, the change is too small a share to count.
    const pooled = await rank(':perInstance=false');
    expect(pooled.candidates.find((c) => c.service === 'account')?.score ?? 0).toBeLessThan(found.candidates[0].score / 2);
  });
});
