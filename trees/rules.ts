import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { LOG_POINTS } from '../sim/formats.js';
import { packageRoot } from '../common/package-root.js';

const logPoint = z.enum(LOG_POINTS);

const rulesSchema = z
  .object({
    windowMs: z.number().positive(),
    skewToleranceMs: z.number().nonnegative(),
    pairBy: z.literal('uniqueId'),
    pairFallback: z.enum(['endpoints', 'none']),
    request: z
      .object({ first: logPoint, delivered: logPoint, legs: z.array(logPoint).min(1) })
      .strict(),
    reply: z.object({ first: logPoint, last: logPoint, legs: z.array(logPoint).min(1) }).strict(),
    services: z
      .object({
        topics: z.record(z.string(), z.string()),
        patterns: z.array(z.object({ match: z.string() }).strict()),
      })
      .strict(),
    operation: z.enum(['topic', 'txType', 'topic+txType']),
    callerSideCodes: z.array(z.string()),
    merge: z.object({ vertical: z.boolean(), horizontal: z.boolean() }).strict(),
  })
  .strict();

export type TreeRules = z.infer<typeof rulesSchema>;

export function defaultRulesPath(): string {
  return join(packageRoot(), 'trees', 'rules', 'wemq.yaml');
}

/** Reads and validates a rules file; errors name the file and the field path. */
export function loadTreeRules(path = defaultRulesPath()): TreeRules {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read rules: ${(err as Error).message}`);
  }
  const parsed = rulesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  for (const [i, p] of parsed.data.services.patterns.entries()) {
    try {
      new RegExp(p.match);
    } catch (err) {
      throw new Error(`${path}: services.patterns.${i}.match: ${(err as Error).message}`);
    }
  }
  for (const side of ['request', 'reply'] as const) {
    const r = parsed.data[side];
    for (const key of Object.keys(r).filter((k) => k !== 'legs') as (keyof typeof r)[]) {
      if (!r.legs.includes(r[key] as never)) {
        throw new Error(`${path}: ${side}.${key}: ${String(r[key])} is not among ${side}.legs`);
      }
    }
  }
  return parsed.data;
}
