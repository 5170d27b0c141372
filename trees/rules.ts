import { join } from 'node:path';
import { z } from 'zod';
import { LOG_POINTS } from '../sim/formats.js';
import { packageRoot } from '../common/package-root.js';
import { readYamlFile } from '../common/validated-file.js';

const logPoint = z.enum(LOG_POINTS);

const rulesSchema = z
  .object({
    // A transaction's collection window and the clock skew tolerated: at most a day.
    windowMs: z.number().positive().max(86_400_000),
    skewToleranceMs: z.number().nonnegative().max(86_400_000),
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
  .strict()
  .superRefine((rules, ctx) => {
    for (const [i, p] of rules.services.patterns.entries()) {
      try {
        new RegExp(p.match);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['services', 'patterns', i, 'match'], message: (err as Error).message });
      }
    }
    for (const side of ['request', 'reply'] as const) {
      const r = rules[side];
      for (const key of Object.keys(r).filter((k) => k !== 'legs') as (keyof typeof r)[]) {
        if (!r.legs.includes(r[key] as never)) ctx.addIssue({ code: 'custom', path: [side, key], message: `${String(r[key])} is not among ${side}.legs` });
      }
    }
  });

export type TreeRules = z.infer<typeof rulesSchema>;

export function defaultRulesPath(): string {
  return join(packageRoot(), 'trees', 'rules', 'wemq.yaml');
}

/** Reads and validates a rules file; errors name the file, the line and the field. */
export function loadTreeRules(path = defaultRulesPath()): TreeRules {
  return readYamlFile(path, rulesSchema, 'tree rules file');
}
