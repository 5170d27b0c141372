/**
 * The twin of the real Nezha Train-Ticket day, fitted on its fault-free phase (normal/, 08:50, part
 * of the morning: development data): the call graph and the transaction mix are reproduced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitTwin } from '../../pipeline/fit.js';
import { fitReport } from '../../pipeline/fit-report.js';
import type { CallTemplate } from '../../sim/scenario-schema.js';

const DATA = process.env.FAULTLINE_SHARED_DATA ?? path.resolve(__dirname, '../../../shared/data');
const NORMAL = path.join(DATA, 'nezha-tt-2023-01-29', 'normal');
const HAVE_DATA = fs.existsSync(NORMAL);
const COLUMNS = { trace_id: 'TraceID', span_id: 'SpanID', parent_id: 'ParentID', instance: 'PodName', operation: 'OperationName', start_ns: 'StartTimeUnixNano', end_ns: 'EndTimeUnixNano' };

// Outside CI a checkout without shared/ skips, loudly; in CI the data must be there.
if (!HAVE_DATA) console.warn(`SKIPPED: the Nezha twin test needs ${NORMAL} (set FAULTLINE_SHARED_DATA)`);

describe.skipIf(!HAVE_DATA && !process.env.CI)('a twin of the Nezha Train-Ticket day', () => {
  it('reproduces its call graph and transaction mix', async () => {
    const twin = await fitTwin({ spans: [NORMAL], columns: COLUMNS, serviceFromInstance: '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$', onBadRow: 'skip' });
    expect(twin.scenario.subsystems[0]!.services).toHaveLength(25);
    expect(twin.estimates.statusKnown).toBe(0); // Nezha spans carry no status: no error rates invented
    const report = await fitReport(twin.spans, twin.scenario, twin.estimates);
    expect(report.edges.jaccard).toBeGreaterThanOrEqual(0.95);
    expect(report.mix.maxDifference).toBeLessThanOrEqual(0.05);
    expect(report.latency.scored).toBeGreaterThan(5);
  }, 60_000);

  it('learns per call the log templates its callee writes, and where it writes none', async () => {
    const logs = path.join(DATA, 'nezha-tt-2023-01-29', 'normal-log');
    const twin = await fitTwin({ spans: [NORMAL], logs: [logs], columns: COLUMNS, serviceFromInstance: '^(.*?)-[0-9a-f]{8,10}-[0-9a-z]{5}$', onBadRow: 'skip' });
    const nodes: CallTemplate[] = [];
    const walk = (c: CallTemplate) => {
      nodes.push(c);
      for (const ch of c.children ?? []) walk(ch);
    };
    for (const t of twin.scenario.transactions) walk(t.root);
    const logged = nodes.filter((n) => n.logs!.length > 0);
    expect(logged.length).toBeGreaterThan(nodes.length / 2);
    // Some callees write nothing while handling (a gateway that only routes): no lines, no own check.
    expect(nodes.some((n) => n.logs!.length === 0 && n.checksResult === undefined)).toBe(true);
    for (const n of logged) {
      expect(n.checksResult).toBeGreaterThan(0);
      // Per-request values (trace and span ids, numbers) are masked, not learned as text.
      for (const l of n.logs!) expect(l.template).not.toMatch(/[0-9a-f]{16}/);
    }
    // Its failure lines (not found, request failed, a servlet's exception) are mostly at ERROR: the twin rejects wrong values at ERROR.
    expect(twin.estimates.logs!.failureTemplates.ERROR).toBeGreaterThan(twin.estimates.logs!.failureTemplates.WARN ?? 0);
    expect(twin.scenario.rejectionLogLevel).toBe('ERROR');
    expect(twin.yaml).toMatch(/# rejectionLogLevel: the level most of the system's failure templates are written at \(.*: \d+ at ERROR, \d+ at WARN\); the twin's handlers reject a wrong value at it\.\nrejectionLogLevel: ERROR\n/);
  }, 60_000);
});
