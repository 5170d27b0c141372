/**
 * What the CLI says about inputs that are well-formed but cannot give a result as they stand, and
 * what it refuses to overwrite: each case runs the built CLI on a small span file. Needs dist/
 * (`npm test` builds).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli as runCli, ROOT } from './run-cli.js';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-input-checks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(args, tmp);

const T0 = Date.parse('2023-01-29T08:42:00Z');
const HEADER = 'trace_id,span_id,parent_id,service,instance,operation,start_ns,end_ns,status';

/** Span CSV rows: a gateway calling auth calling a database, one trace every 10 s for 5 minutes. */
function spanRows(): string[] {
  const rows: string[] = [];
  for (let k = 0; k < 30; k++) {
    const t = (T0 + k * 10_000) * 1e6;
    const ns = (ms: number) => String(t + ms * 1e6);
    rows.push(
      `t${k},g${k},,gateway,gateway-1,/login,${ns(0)},${ns(300)},ok`,
      `t${k},a${k},g${k},auth,auth-1,getToken,${ns(10)},${ns(290)},ok`,
      `t${k},d${k},a${k},db,db-1,SELECT,${ns(20)},${ns(280)},${k > 20 ? 'error' : 'ok'}`,
    );
  }
  return rows;
}

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const spans = write('spans.csv', [HEADER, ...spanRows()].join('\n') + '\n');

describe('fit --force', () => {
  it('replaces the files an earlier fit wrote, never a file of the user', () => {
    const dir = path.join(tmp, 'twin');
    const yaml = write('twin/user_twin.yaml', 'mine\n');
    const report = write('twin/fit-report.json', 'mine\n');
    const refused = cli(['fit', '--spans', spans, '--out', yaml, '--force']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(`faultline: --out ${yaml}: it is there and was not written by faultline; choose another path or move it away (--force never replaces a file faultline did not write)\n`);
    expect(readFileSync(yaml, 'utf8')).toBe('mine\n');
    expect(readFileSync(report, 'utf8')).toBe('mine\n');
    expect(readdirSync(dir).sort()).toEqual(['fit-report.json', 'user_twin.yaml']);

    const own = path.join(dir, 'own.yaml');
    const ownReport = path.join(dir, 'own-report.json');
    expect(cli(['fit', '--spans', spans, '--out', own, '--report', ownReport]).status).toBe(0);
    const again = cli(['fit', '--spans', spans, '--out', own, '--report', ownReport]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/--out .*own\.yaml: it exists \(written by faultline\); choose another path, or pass --force to replace it/);
    expect(cli(['fit', '--spans', spans, '--out', own, '--report', ownReport, '--force']).status).toBe(0);
    // Without --report the report goes beside --out, where the user's fit-report.json stops the fit before anything is written.
    const before = readFileSync(own, 'utf8');
    const clash = cli(['fit', '--spans', spans, '--out', own, '--force']);
    expect(clash.status).toBe(2);
    expect(clash.stderr).toMatch(/--report .*fit-report\.json: it is there and was not written by faultline/);
    expect(readFileSync(own, 'utf8')).toBe(before);
    expect(readFileSync(report, 'utf8')).toBe('mine\n');
  });

  it('keeps a twin through later outputs into its folder, and takes one edited since as the user\'s', () => {
    const dir = path.join(tmp, 'kept');
    const yaml = path.join(dir, 'twin.yaml');
    expect(cli(['fit', '--spans', spans, '--out', yaml]).status).toBe(0);
    const twin = readFileSync(yaml, 'utf8');
    // Another command's output into the folder writes beside the twin (with --force, as beside any file it did not write) and keeps it.
    const incidents = write('kept-incidents.json', JSON.stringify([{ id: 'i1', start: new Date(T0 + 200_000).toISOString(), end: new Date(T0 + 260_000).toISOString(), rootCause: ['db'] }]));
    const rca = ['rca', '--spans', spans, '--incidents', incidents, '--rca', 'count', '--out', dir];
    const refused = cli(rca);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/holds files faultline wrote there by name \(fit-report\.html, fit-report\.json, twin\.yaml\), which an output folder keeps; .*--force/);
    expect(cli([...rca, '--force']).status).toBe(0);
    expect(cli([...rca, '--force']).status).toBe(0);
    expect(readFileSync(yaml, 'utf8')).toBe(twin);
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['twin.yaml', 'fit-report.json', 'fit-report.html', 'ranking.json']));
    // Edited since: the user's now, not replaced even with --force.
    writeFileSync(yaml, twin + '# tuned by hand\n');
    const r = cli(['fit', '--spans', spans, '--out', yaml, '--force']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out .*twin\.yaml: it was changed since faultline wrote it/);
    expect(readFileSync(yaml, 'utf8')).toBe(twin + '# tuned by hand\n');
  });

  it('names the file that stands where a folder of --out would be', () => {
    const file = write('plain.txt', 'x');
    const r = cli(['fit', '--spans', spans, '--out', path.join(file, 'twin.yaml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`faultline: --out ${path.join(file, 'twin.yaml')}: a parent is a file, not a folder (${file})\n`);
    expect(existsSync(file)).toBe(true);
  });
});

const incidents = write('incidents.json', JSON.stringify([{ id: 'i1', start: '2023-01-29T08:44:00Z', end: '2023-01-29T08:46:00Z', rootCause: ['db'] }]));
const metricsJson = (out: string) => JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));

describe('rca --on-bad-row skip', () => {
  it('says how many rows it skipped and why, as replay does, and keeps the count in its notes', () => {
    const rows = spanRows();
    rows[4] = 't1,a1,g1,auth,auth-1';
    const bad = write('bad-row.csv', [HEADER, ...rows].join('\n') + '\n');
    const out = path.join(tmp, 'skip');
    const r = cli(['rca', '--spans', bad, '--incidents', incidents, '--rca', 'count', '--out', out, '--on-bad-row', 'skip', '--no-progress']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`skipped 1 malformed rows, e.g.:\n  ${bad}:line 6: 5 fields, header has 9\n`);
    expect(metricsJson(out).notes).toEqual(['1 malformed rows skipped (--on-bad-row skip)']);
  });
});

describe('incidents that cannot be scored', () => {
  it('names the incidents without a root cause, and refuses when none has one', () => {
    const some = write('some-causes.json', JSON.stringify([
      { id: 'i1', start: '2023-01-29T08:44:00Z', rootCause: ['db'] },
      { id: 'i2', start: '2023-01-29T08:45:00Z' },
      { id: 'i3', start: '2023-01-29T08:46:00Z', rootCause: [] },
    ]));
    const out = path.join(tmp, 'some-causes');
    const r = cli(['rca', '--spans', spans, '--incidents', some, '--rca', 'count', '--out', out, '--no-progress']);
    expect(r.status).toBe(0);
    const note = '2 of 3 incidents have no root cause (rootCause), so they are ranked but not scored: i2, i3';
    expect(r.stderr).toBe(`faultline: warning: ${note}\n`);
    expect(metricsJson(out).notes).toEqual([note]);
    expect(metricsJson(out).algorithms.count).toMatchObject({ incidents: 1, unscored: 2 });

    const none = write('no-causes.json', JSON.stringify([{ id: 'i1', start: '2023-01-29T08:44:00Z' }]));
    const refused = cli(['rca', '--spans', spans, '--incidents', none, '--rca', 'count', '--out', path.join(tmp, 'no-causes'), '--no-progress']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(`faultline: ${none}: no incident has a root cause (rootCause: [service...]): rca has nothing to score its rankings against\n`);
    expect(existsSync(path.join(tmp, 'no-causes'))).toBe(false);
  });

  it("names each incident whose window holds no spans, with the spans' time, in rca and replay", () => {
    const later = write('later.json', JSON.stringify([
      { id: 'i1', start: '2023-01-29T08:44:00Z', rootCause: ['db'] },
      { id: 'i2', start: '2024-06-01T00:00:00Z', rootCause: ['db'] },
    ]));
    const note =
      '1 of 2 incidents have no spans in their window, so their rankings have nothing to go on: i2 (2024-06-01T00:00:00.000Z - 2024-06-01T00:05:00.000Z); ' +
      'the spans read run from 2023-01-29T08:42:00.000Z to 2023-01-29T08:46:50.300Z';
    const out = path.join(tmp, 'later');
    const r = cli(['rca', '--spans', spans, '--incidents', later, '--rca', 'count', '--out', out, '--no-progress']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`faultline: warning: ${note}\n`);
    expect(metricsJson(out).notes).toEqual([note]);
    const replayed = path.join(tmp, 'later-replay');
    const rr = cli(['replay', '--spans', spans, '--incidents', later, '--rca', 'count', '--out', replayed, '--no-progress']);
    expect(rr.status).toBe(0);
    expect(rr.stderr).toBe(`faultline: warning: ${note}\n`);
    const results = JSON.parse(readFileSync(path.join(replayed, 'results.json'), 'utf8'));
    expect(results.items[0].notes).toEqual([note]);
    expect(JSON.parse(readFileSync(path.join(replayed, 'summary.json'), 'utf8')).items[0].notes).toEqual([note]);
    expect(readFileSync(path.join(replayed, 'summary.md'), 'utf8')).toContain(`Notes:\n\n- replay:data: ${note}\n`);
  });

  it('refuses spans that hold none at all, in rca and replay', () => {
    const empty = write('header-only.csv', `${HEADER}\n`);
    for (const command of ['rca', 'replay']) {
      const r = cli([command, '--spans', empty, '--incidents', incidents, '--rca', 'count', '--out', path.join(tmp, `empty-${command}`), '--no-progress']);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`faultline: ${empty}: no spans: the methods that read spans have nothing to rank\n`);
    }
  });
});

describe('run', () => {
  it('says which fault of a scenario lies outside the run and is not injected, and keeps it in the results', () => {
    const scenario = write(
      'suite/late.yaml',
      [`extends: ${path.join(ROOT, 'scenarios/fault-base.yaml')}`, 'description: a fault after the end', 'duration: 30m', 'faults:', '  - { type: cpu-saturation, target: { service: card-auth-service }, start: 1h, duration: 5m, severity: 0.9 }'].join('\n') + '\n',
    );
    const suite = write('suite/suite.yaml', `name: late\nscenarios: [${scenario}]\nseeds: [1]\ndetectors: [ksigma]\nrca: [count]\n`);
    const out = path.join(tmp, 'late-run');
    const r = cli(['run', '--suite', suite, '--out', out, '--no-progress', '--workers', '1']);
    expect(r.status).toBe(0);
    const note = 'fault f1-cpu-saturation (2026-01-05T10:00:00.000Z - 2026-01-05T10:05:00.000Z) lies outside the run (2026-01-05T09:00:00.000Z - 2026-01-05T09:30:00.000Z): not injected';
    expect(r.stderr).toBe(`faultline: warning: late.yaml@1: ${note}\n`);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.items[0].notes).toEqual([note]);
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain(`- late.yaml@1: ${note}`);
  }, 60_000);

  it("names the suite file, line and item of a method it cannot resolve; a flag's as the flag's", () => {
    const suite = write('suite/bad-method.yaml', `name: bad
scenarios: [faults/database-slow]
detectors:
  - ksigma
  - nosuchdetector
rca: [count]
`);
    const r = cli(['run', '--suite', suite, '--out', path.join(tmp, 'bad-method'), '--no-progress']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^faultline: ${suite}:5: detectors\\[1\\]: unknown detector "nosuchdetector": built-ins are `));
    const flag = cli(['run', '--suite', suite, '--detectors', 'nosuchdetector', '--out', path.join(tmp, 'bad-method'), '--no-progress']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/^faultline: unknown detector "nosuchdetector": built-ins are /);
  });
});
