/**
 * Suite files (scenarios/suites/<name>.yaml, or any YAML file): which scenarios, swept over which
 * axes and seeds, go through which detectors and RCA algorithms, plus the MTTR model's operator and
 * repair costs. Scenario files are found relative to the suite file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { FAULT_TYPES } from '../sim/formats.js';
import { scenariosDir } from '../common/package-root.js';
import { DEFAULT_MTTR_MODEL } from '../scores/mttr.js';
import { FaultlineError } from '../common/errors.js';
import { parseYamlText, readText } from '../common/validated-file.js';
import { AxesSchema } from './axes.js';

const minutes = z.number().nonnegative();

export const MttrModelSchema = z
  .object({
    /** Minutes an operator spends checking one RCA candidate before moving to the next. */
    operatorMinutesPerCandidate: minutes.default(DEFAULT_MTTR_MODEL.operatorMinutesPerCandidate),
    /** Candidates an operator reads before giving up on the ranking. */
    topK: z.number().int().positive().default(DEFAULT_MTTR_MODEL.topK),
    /** Manual investigation after the top k failed, in minutes. */
    notFoundMinutes: minutes.default(DEFAULT_MTTR_MODEL.notFoundMinutes),
    /** Time from fault start until a never-alarmed fault is reported another way (customers). */
    undetectedMinutes: minutes.default(DEFAULT_MTTR_MODEL.undetectedMinutes),
    /** Repair time per fault type; types left out use the documented defaults. */
    repairMinutes: z.partialRecord(z.enum(FAULT_TYPES), minutes).default({}),
  })
  .strict();

export const SuiteSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    /**
     * Scenario names under scenarios/ (`folder/*` takes every scenario of a folder), or YAML files
     * relative to the suite file (`twin.yaml`, `twins/*.yaml`).
     */
    scenarios: z.array(z.string().min(1)).min(1),
    seeds: z.array(z.number().int().nonnegative()).min(1).default([1]),
    /** Sweep axes by name, in key order: each sets one scenario field to each of its values (pipeline/axes.ts). */
    axes: AxesSchema.default({}),
    /** A seeded sample of the cross product instead of all of it. */
    sample: z.strictObject({ count: z.number().int().positive(), seed: z.number().int().nonnegative().default(0) }).optional(),
    /** Passed to the scenario engine for every item (e.g. `90m`); the scenario's own when absent. */
    duration: z.union([z.string(), z.number().positive()]).optional(),
    trafficScale: z.number().positive().optional(),
    detectors: z.array(z.string().min(1)).min(1),
    /** RCA algorithm specs; `all` expands to every registered algorithm. */
    rca: z.array(z.string().min(1)).min(1),
    /** The default `--min-ac1` gate for this suite. */
    minAc1: z.number().min(0).max(1).optional(),
    mttr: MttrModelSchema.default(MttrModelSchema.parse({})),
  })
  .strict();
export type Suite = z.infer<typeof SuiteSchema> & {
  name: string;
  file: string;
  /** `file:line` of a field of the suite (the deepest part of the path the file has), for messages. */
  at: (fieldPath: (string | number)[]) => string;
};

export const SUITES_DIR = path.join(scenariosDir(), 'suites');
export const DEFAULT_SUITE = 'ci';

/** `ci` -> scenarios/suites/ci.yaml; anything that is an existing file is taken as a path. */
export function suitePath(nameOrPath: string): string {
  if (existsSync(nameOrPath) && /\.ya?ml$/i.test(nameOrPath)) return path.resolve(nameOrPath);
  for (const ext of ['.yaml', '.yml']) {
    const candidate = path.join(SUITES_DIR, nameOrPath + ext);
    if (existsSync(candidate)) return candidate;
  }
  throw new SuiteError(
    `suite "${nameOrPath}" not found: neither a .yaml file nor a name under ${SUITES_DIR}`,
  );
}

export class SuiteError extends FaultlineError {}

export function loadSuite(nameOrPath: string = DEFAULT_SUITE): Suite {
  const file = suitePath(nameOrPath);
  return parseSuite(readText(file, 'suite file'), file);
}

/** Parse suite YAML text; errors name the file, the line and the field path of every problem. */
export function parseSuite(text: string, file: string): Suite {
  const doc = parseYamlText(text, file);
  const at = (fieldPath: (string | number)[]): string => {
    const line = doc.lineOf(fieldPath)?.line;
    return line === undefined ? file : `${file}:${line}`;
  };
  const parsed = SuiteSchema.safeParse(doc.data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const fieldPath = issue.path.map(String);
      return `${at(fieldPath)}: ${fieldPath.join('.') || '(top level)'}: ${issue.message}`;
    });
    throw new SuiteError(`invalid suite:\n  ${problems.join('\n  ')}`);
  }
  const name = parsed.data.name ?? path.basename(file).replace(/\.ya?ml$/i, '');
  return { ...parsed.data, name, file, at };
}
