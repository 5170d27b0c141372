/**
 * The engine files shipped in deploy/ and the Dockerfile, checked as far as this machine allows:
 * the YAML against schemas of the parts of the GitHub Actions workflow and Kubernetes Job formats
 * they use, their commands run here with the matrix and index variables set (the `faultline` on
 * PATH is this build), artifacts and volumes wired as the engines would; the Dockerfile as text.
 * Needs the compiled code (dist/): `npm test` builds first.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commands } from '../../scripts/commands/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUITE = fileURLToPath(new URL('./suites/deploy.yaml', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-deploy-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// `faultline` on PATH: this build's CLI.
const bin = path.join(tmp, 'bin');
mkdirSync(bin);
writeFileSync(path.join(bin, 'faultline'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'dist/cli/faultline.js')}" "$@"\n`);
chmodSync(path.join(bin, 'faultline'), 0o755);
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, SUITE, CI: '1', FAULTLINE_QUIET: '1' };

/** Runs a shell command as the engine would; a failed AC@1 gate (exit 1) is a result, not a failure. */
function sh(shell: 'bash' | 'sh', script: string, cwd: string, extra: Record<string, string> = {}) {
  mkdirSync(cwd, { recursive: true });
  const r = spawnSync(shell, ['-e', '-c', script], { cwd, env: { ...env, ...extra }, encoding: 'utf8' });
  expect(r.status, `${script}\n${r.stderr}`).toBeLessThanOrEqual(1);
  return r;
}

const cliCommands = new Set(commands.map((c) => String(c.command).split(' ')[0]));
/** The faultline subcommands a script calls. */
const faultlineCalls = (script: string) => [...script.matchAll(/faultline (\w[\w-]*)/g)].map((m) => m[1]!);

// The parts of the GitHub Actions workflow syntax the file uses.
const Step = z.union([
  z.strictObject({ uses: z.string().regex(/^[\w-]+\/[\w-]+@v\d+$/), with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(), if: z.string().optional(), name: z.string().optional() }),
  z.strictObject({ run: z.string(), name: z.string().optional(), if: z.string().optional() }),
]);
const Workflow = z.strictObject({
  name: z.string(),
  on: z.record(z.string(), z.unknown()),
  env: z.record(z.string(), z.string()).optional(),
  jobs: z.record(
    z.string(),
    z.strictObject({
      'runs-on': z.string(),
      needs: z.union([z.string(), z.array(z.string())]).optional(),
      strategy: z.strictObject({ 'fail-fast': z.boolean().optional(), matrix: z.record(z.string(), z.array(z.union([z.string(), z.number()]))) }).optional(),
      steps: z.array(Step).min(1),
    }),
  ),
});

// The parts of the Kubernetes PersistentVolumeClaim and batch/v1 Job the manifest uses.
const Metadata = z.strictObject({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/), labels: z.record(z.string(), z.string()) });
const Container = z.strictObject({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).min(1),
  env: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
  resources: z.strictObject({ requests: z.strictObject({ cpu: z.string(), memory: z.string() }) }).optional(),
  volumeMounts: z.array(z.strictObject({ name: z.string(), mountPath: z.string() })),
});
const Job = z.strictObject({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('Job'),
  metadata: Metadata,
  spec: z.strictObject({
    completions: z.number().int().positive(),
    parallelism: z.number().int().positive().optional(),
    completionMode: z.enum(['Indexed', 'NonIndexed']).optional(),
    backoffLimit: z.number().int().nonnegative().optional(),
    backoffLimitPerIndex: z.number().int().nonnegative().optional(),
    template: z.strictObject({
      spec: z.strictObject({
        restartPolicy: z.enum(['Never', 'OnFailure']),
        containers: z.array(Container).length(1),
        volumes: z.array(z.strictObject({ name: z.string(), persistentVolumeClaim: z.strictObject({ claimName: z.string() }) })),
      }),
    }),
  }),
});
const Pvc = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('PersistentVolumeClaim'),
  metadata: Metadata,
  spec: z.strictObject({ accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'])), resources: z.strictObject({ requests: z.strictObject({ storage: z.string() }) }) }),
});

describe('deploy/github-actions.yml', () => {
  const workflow = Workflow.parse(parseYaml(readFileSync(path.join(ROOT, 'deploy/github-actions.yml'), 'utf8')));

  it('runs its shard matrix and merge job here, artifacts passed as the runner passes them', () => {
    const { shard, merge } = workflow.jobs;
    expect(merge!.needs).toBe('shard');
    const shards = shard!.strategy!.matrix.shard!;
    const runner = path.join(tmp, 'gh-shards');
    const artifacts = path.join(tmp, 'gh-artifacts');
    for (const value of shards) {
      const subst = (s: string) => s.replaceAll('${{ matrix.shard }}', String(value));
      for (const step of shard!.steps) {
        if ('run' in step && step.run.includes('faultline')) {
          expect(faultlineCalls(step.run).every((c) => cliCommands.has(c))).toBe(true);
          expect(step.run).toContain(`/${shards.length} `); // --shard i/n with n the matrix size
          sh('bash', subst(step.run).replaceAll('npx faultline', 'faultline'), runner);
        }
        if ('uses' in step && step.uses.startsWith('actions/upload-artifact')) {
          const to = path.join(artifacts, subst(String(step.with!.name)));
          mkdirSync(to, { recursive: true });
          const from = path.join(runner, subst(String(step.with!.path)));
          copyFileSync(from, path.join(to, path.basename(from)));
        }
      }
    }
    const mergeRunner = path.join(tmp, 'gh-merge');
    for (const step of merge!.steps) {
      if ('uses' in step && step.uses.startsWith('actions/download-artifact')) {
        // Each artifact matching the pattern lands in <path>/<artifact name>/.
        const into = path.join(mergeRunner, String(step.with!.path));
        const pattern = new RegExp(`^${String(step.with!.pattern).replace('*', '.*')}$`);
        for (const value of shards) {
          const name = `shard-${value}`;
          if (!pattern.test(name)) continue;
          mkdirSync(path.join(into, name), { recursive: true });
          copyFileSync(path.join(artifacts, name, 'partial.json'), path.join(into, name, 'partial.json'));
        }
      }
      if ('run' in step && step.run.includes('faultline merge')) sh('bash', step.run.replaceAll('npx faultline', 'faultline'), mergeRunner);
    }
    const summary = JSON.parse(readFileSync(path.join(mergeRunner, 'report', 'summary.json'), 'utf8'));
    expect(summary.items).toHaveLength(2);
    expect(existsSync(path.join(mergeRunner, 'report', 'report.html'))).toBe(true);
  }, 300_000);
});

describe('deploy/k8s-indexed-job.yaml', () => {
  const docs = parseAllDocuments(readFileSync(path.join(ROOT, 'deploy/k8s-indexed-job.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string });
  const pvc = Pvc.parse(docs.find((d) => d.kind === 'PersistentVolumeClaim'));
  const jobs = docs.filter((d) => d.kind === 'Job').map((d) => Job.parse(d));
  const shards = jobs.find((j) => j.spec.completionMode === 'Indexed')!;
  const merge = jobs.find((j) => j !== shards)!;

  it('is an Indexed Job of n shards and a merge Job on one volume', () => {
    expect(docs).toHaveLength(3);
    const n = shards.spec.completions;
    expect(shards.spec.parallelism).toBe(n);
    const script = shards.spec.template.spec.containers[0]!.command.at(-1)!;
    expect(script).toContain(`--shards ${n} `);
    expect(merge.spec.template.spec.containers[0]!.command.at(-1)).toContain(Array.from({ length: n }, (_, i) => `/results/shard-${i}`).join(' '));
    for (const job of jobs) {
      expect(job.spec.template.spec.volumes[0]!.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
      expect(job.spec.template.spec.containers[0]!.volumeMounts[0]!.mountPath).toBe('/results');
      expect(faultlineCalls(job.spec.template.spec.containers[0]!.command.join(' ')).every((c) => cliCommands.has(c))).toBe(true);
    }
    expect(shards.metadata.labels.step).toBe('shards');
    expect(merge.metadata.labels.step).toBe('merge');
  });

  it('runs each index with JOB_COMPLETION_INDEX set, then the merge, on a local volume', () => {
    const volume = path.join(tmp, 'k8s-results');
    const local = (script: string) => script.replaceAll('/results', volume);
    const container = shards.spec.template.spec.containers[0]!;
    expect(container.command.slice(0, 2)).toEqual(['sh', '-c']);
    const suiteEnv = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(suiteEnv.SUITE).toBe('ci');
    for (let i = 0; i < shards.spec.completions; i++) sh('sh', local(container.command[2]!), tmp, { JOB_COMPLETION_INDEX: String(i) });
    sh('sh', local(merge.spec.template.spec.containers[0]!.command[2]!), tmp);
    const summary = JSON.parse(readFileSync(path.join(volume, 'report', 'summary.json'), 'utf8'));
    expect(summary.items).toHaveLength(2);
  }, 300_000);
});

describe('Dockerfile', () => {
  const text = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const stages = text.split(/^FROM /m).slice(1);

  it('builds from every source folder with the install command CI uses, and ships what the CLI reads', () => {
    const tsconfig = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const copied = new Set(stages[0]!.split('\n').filter((l) => l.startsWith('COPY ')).flatMap((l) => l.slice(5).trim().split(/\s+/)));
    for (const source of [...tsconfig.include, 'package.json', 'package-lock.json', 'scenarios']) expect(copied, source).toContain(source);
    const ci = readFileSync(path.join(ROOT, '.ci/run'), 'utf8').match(/^npm ci.*$/m)![0];
    expect(stages[0]).toContain(`RUN ${ci} && npm prune --omit=dev`);
    // npm ci builds: the package's prepare script.
    expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.prepare).toBe('npm run build');
    expect(stages.every((s) => s.startsWith('node:20'))).toBe(true);
    for (const part of ['dist', 'node_modules', 'scenarios', 'trees/rules', 'package.json']) expect(stages[1]).toMatch(new RegExp(`COPY --from=build /app/${part.replace('/', '\\/')} `));
    expect(existsSync(path.join(ROOT, 'trees/rules/wemq.yaml'))).toBe(true);
    expect(lines.at(-2)).toBe('ENTRYPOINT ["faultline"]');
    expect(stages[1]).toContain('ln -s /app/dist/cli/faultline.js /usr/local/bin/faultline');
  });

  it('is built and run with the commands the docs give', () => {
    const docs = readFileSync(path.join(ROOT, 'docs/runs.md'), 'utf8');
    for (const command of text.match(/^#\s+(docker .*)$/gm)!.map((l) => l.replace(/^#\s+/, ''))) expect(docs).toContain(command);
  });
});
