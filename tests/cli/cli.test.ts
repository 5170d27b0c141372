/**
 * The CLI as a user meets it: the command list, flag suggestions, exit codes, quiet EPIPE, output
 * folders that keep the user's files, and the older flag spellings. Needs dist/ (`npm test` builds).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, CLI } from './run-cli.js';
import { afterAll, describe, expect, it } from 'vitest';
import { renderBuiltinListings } from '../../scripts/commands/methods-list.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A small KPI series set: 3 days of minutes with one spike, as a long CSV. */
function seriesCsv(): string {
  const rows = ['series,timestamp,value'];
  for (let i = 0; i < 3 * 1440; i++) rows.push(`service:api:avgLatency,${1_700_000_000 + i * 60},${i === 3000 ? 500 : 100 + (i % 7)}`);
  const file = path.join(tmp, 'kpis.csv');
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

describe('faultline CLI', () => {
  it('lists the commands when run bare, and exits 0', () => {
    const r = cli([]);
    expect(r.status).toBe(0);
    for (const c of ['generate', 'run', 'replay', 'detect', 'rca', 'score', 'detectors', 'rca-methods', 'compare', 'merge', 'anonymise']) expect(r.stdout).toContain(`faultline ${c}`);
  });

  it('suggests the flag a user meant, and the command', () => {
    const flag = cli(['run', '--detectr', 'ksigma']);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain('unknown flag --detectr (did you mean --detectors?)');
    const command = cli(['runn']);
    expect(command.status).toBe(2);
    expect(command.stderr).toMatch(/Did you mean run\?/);
  });

  it('names the plugin, the key and the allowed values of a bad option (exit 2, no stack)', () => {
    const r = cli(['detect', '--series', seriesCsv(), '--detectors', 'ksigma:windw=120', '--out', path.join(tmp, 'x')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('faultline: detector ksigma: unknown option windw (did you mean window?); options are window, rarity, floor, threshold\n');
    expect(existsSync(path.join(tmp, 'x'))).toBe(false);
  });

  it('lists every built-in with what it reads and its options', () => {
    const r = cli(['detectors']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ksigma {2}\(reads kpis\)$/m);
    expect(r.stdout).toMatch(/^ {4}window: number = 60 {2}points in the rolling window$/m);
    expect(r.stdout).toMatch(/^ {4}floor \(also k\): number = 3 /m);
    const rca = cli(['rca-algorithms']);
    expect(rca.status).toBe(0);
    expect(rca.stdout).toMatch(/^deepest-abnormal {2}\(reads spans\)$/m);
  });

  it('prints, from the bundle, the listings the registries render now', async () => {
    // The bundle carries listings rendered at build time; a registry changed since would differ.
    const live = await renderBuiltinListings();
    expect(cli(['detectors']).stdout.startsWith(live.detectors)).toBe(true);
    expect(cli(['rca-methods']).stdout.startsWith(live.rcaMethods)).toBe(true);
    expect(readFileSync(CLI, 'utf8')).not.toContain('FAULTLINE_BUILTIN_LISTINGS');
  });

  it('ends quietly when its reader closes the pipe', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" scenarios | head -1`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toBe('');
  });

  it('takes the older flag spellings (--detector, --kpis, --algorithm, --data) as aliases', () => {
    const series = seriesCsv();
    const out = path.join(tmp, 'aliases');
    const r = cli(['detect', '--kpis', series, '--detector', 'ksigma', '--detector', 'mad', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')).detectors)).toEqual(['ksigma', 'mad']);
    const rca = cli(['rca', '--data', path.join(tmp, 'missing'), '--algorithm', 'count', '--out', path.join(tmp, 'r')]);
    expect(rca.status).toBe(2);
    expect(rca.stderr).toMatch(/missing: not a folder/);
  });

  it('refuses --out . in a folder of other files, and writes beside them with --force, keeping them', () => {
    const here = path.join(tmp, 'project');
    mkdirSync(here);
    writeFileSync(path.join(here, 'notes.md'), 'mine');
    const series = seriesCsv();
    const refused = cli(['detect', '--series', series, '--detectors', 'ksigma', '--out', '.'], here);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--out . holds files faultline did not write (notes.md)');
    expect(readdirSync(here)).toEqual(['notes.md']);
    const forced = cli(['detect', '--series', series, '--detectors', 'ksigma', '--out', '.', '--force'], here);
    expect(forced.status, forced.stderr).toBe(0);
    expect(readdirSync(here).sort()).toEqual(['.faultline-output.json', 'alarms.csv', 'metrics.json', 'notes.md']);
    expect(readFileSync(path.join(here, 'notes.md'), 'utf8')).toBe('mine');
  });

  it("reads a fault type's own severities in sweep-faults --severities, and refuses a bad one", () => {
    const out = path.join(tmp, 'severities');
    const r = cli(['sweep-faults', '--scenario', 'faults/cpu-saturation', '--types', 'code-exception,cpu-saturation', '--severities', '0.5,cpu-saturation=0.9', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(path.join(out, 'faults'));
    expect(files.filter((f) => f.startsWith('cpu-saturation--')).every((f) => f.includes('--s09'))).toBe(true);
    expect(files.filter((f) => f.startsWith('code-exception--')).every((f) => f.includes('--s05'))).toBe(true);
    const bad = cli(['sweep-faults', '--scenario', 'faults/cpu-saturation', '--severities', 'cpu-saturation=high', '--out', path.join(tmp, 'bad-severities')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--severities: 'high' is not a number/);
  });

  it('keeps the target kinds sweep-faults --target-kinds names, and refuses an unknown one', () => {
    const out = path.join(tmp, 'kinds');
    const r = cli(['sweep-faults', '--scenario', 'faults/network-delay', '--types', 'network-delay', '--target-kinds', 'instance', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(path.join(out, 'faults'));
    expect(files.length).toBeGreaterThan(10);
    // Instances' interfaces only (`<service>-1`), no link (`<caller>--<callee>`).
    expect(files.every((f) => /^network-delay--[a-z-]+-1--s05\.yaml$/.test(f))).toBe(true);
    const bad = cli(['sweep-faults', '--scenario', 'faults/network-delay', '--target-kinds', 'pod', '--out', path.join(tmp, 'bad-kinds')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown target kind 'pod'/);
  });

  it('prints a progress line per phase when not on a terminal', () => {
    const r = spawnSync(process.execPath, [CLI, 'detect', '--series', seriesCsv(), '--detectors', 'ksigma', '--out', path.join(tmp, 'progress')], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^faultline detect: read 1 series \(\d+\.\d s\)$/m);
    expect(r.stderr).toMatch(/^faultline detect: ksigma done \(\d+\.\d s\)$/m);
  });
});
