/**
 * Golden digest of a small twin-like scenario's log lines (logs.arrow), learned lines repeated in
 * a handling (perCall above 1, placed and unplaced) and handlings cut short by a fault. Any change
 * to the lines' times, their order, their filled placeholders or the stream a repeat's spread
 * draws from changes the digest: a change meant to keep the generated data must leave it as is.
 * A deliberate change to the logs updates the digest here, with the reason in its commit.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generate } from '../../sim/generate.js';
import { DATA_SET_FILES } from '../../sim/formats.js';
import type { ScenarioFile } from '../../sim/scenario-schema.js';

const root = mkdtempSync(join(tmpdir(), 'fl-learned-golden-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Shaped as `faultline fit` writes a twin: per-call times with spread, legs, learned lines, calls read from spans. */
const TWIN = {
  name: 'golden-twin',
  start: '2026-01-05T09:00:00Z',
  duration: '3m',
  legMs: 0.3,
  legSigma: 0.5,
  dcns: ['dcn-01'],
  subsystems: [
    {
      name: 'system',
      services: [
        { name: 'gateway', instances: 1, capacity: 200, serviceTimeMs: 2 },
        { name: 'travel', instances: 2, capacity: 100, serviceTimeMs: 8 },
        { name: 'seat', instances: 1, capacity: 100, serviceTimeMs: 3 },
      ],
    },
  ],
  transactions: [
    {
      name: 'trips-left',
      rate: 4,
      root: {
        call: 'gateway',
        operation: '/*',
        serviceTimeMs: 2.5,
        sigma: 0.2,
        logs: [],
        children: [
          {
            call: 'travel',
            operation: '/api/v1/travelservice/trips/left',
            serviceTimeMs: 10,
            sigma: 0.3,
            logs: [
              { template: 'TravelServiceImpl#558 [getRestTicketNumber][num is: <num> for <uuid>]', level: 'INFO', perCall: 3.5, at: 0.86 },
              { template: 'TravelServiceImpl#548 [getRestTicketNumber][Seat request at <ip>]', level: 'INFO', perCall: 2, at: 0.2 },
              { template: 'TravelServiceImpl#600 [getTickets][done <hex>]', level: 'WARN', perCall: 2, at: 1 },
              { template: 'TravelServiceImpl#487 [date][<*> <num>]', level: 'INFO', perCall: 1.5 },
            ],
            children: [{ call: 'seat', operation: '/api/v1/seatservice/seats/left', serviceTimeMs: 3, sigma: 0.25, logs: [{ template: 'SeatServiceImpl#97 [distributeSeat][seat <num>]', level: 'INFO', perCall: 1.25, at: 0.5 }] }],
          },
        ],
      },
    },
  ],
  traffic: { daily: Array(24).fill(1), weekly: Array(7).fill(1), noise: 0.1 },
  callsFrom: 'spans',
  faults: [{ type: 'code-exception', target: { service: 'travel' }, start: '1m', duration: '1m', severity: 0.6, handler: 'throws' }],
} satisfies ScenarioFile;

const LOGS_SHA256 = 'd7831d672c65fe93fcf0763d065808d39a05710e14e151c32187b45d3f1758ca';

describe('golden: learned log lines of a twin-like scenario', () => {
  it('logs.arrow has the pinned digest', async () => {
    const file = join(root, 'twin.yaml');
    writeFileSync(file, stringify(TWIN));
    const out = join(root, 'out');
    await generate({ scenario: file, seed: 7, out, metrics: false });
    const bytes = readFileSync(join(out, DATA_SET_FILES.logs));
    expect(bytes.length).toBeGreaterThan(10_000);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(LOGS_SHA256);
  }, 60_000);
});
