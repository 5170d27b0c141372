import { isError } from '../span-stats.js';
import { z } from 'zod';
import { definePlugin } from '../../common/plugin.js';
import { rankServices, spanContext, spanContextOptions, spanOptions } from '../span-context.js';
import type { RcaPlugin } from '../types.js';
import type { SpanAnalysis } from '../span-stats.js';

interface Tally {
  spans: number;
  errors: number;
  slow: number;
}

function tally(a: SpanAnalysis, z: number): Map<string, Tally> {
  const out = new Map<string, Tally>();
  const { table, index, scores } = a;
  const get = (name: string) => {
    let t = out.get(name);
    if (!t) out.set(name, (t = { spans: 0, errors: 0, slow: 0 }));
    return t;
  };
  for (let i = 0; i < table.length; i++) {
    const t = get(index.services[index.serviceOf[i]]);
    t.spans++;
    // A caller-side failure counts against the caller.
    if (isError(table, i)) get(index.services[index.serviceOf[index.blameRow[i]]]).errors++;
    else if (scores.known[i] && scores.zSelf[i] > z) t.slow++;
  }
  return out;
}

/**
 * The simple baseline: per service, errors and slow calls (own self-time beyond z robust sigmas of
 * its operation's baseline) in the incident window, in excess of what the baseline's rates predict
 * for that many calls. No use of the call structure beyond self-time.
 */
export const countRca: RcaPlugin = definePlugin({
  name: 'count',
  description: 'errors and slow calls per service in excess of the baseline rates (simple baseline)',
  options: z.strictObject(spanOptions),
  needs: ['spans'],
  reference: true,
  create: (options) => ({
    rank(input) {
      const ctx = spanContext(input, spanContextOptions(options));
      const now = tally(ctx.window, options.z);
      const ref = tally(ctx.reference, options.z);
      const services = ctx.window.index.services;
      const excessErrors = new Float64Array(services.length);
      const excessSlow = new Float64Array(services.length);
      const baseErrorRate = new Float64Array(services.length);
      const baseSlowRate = new Float64Array(services.length);
      const score = services.map((name, s) => {
        const w = now.get(name)!;
        const b = ref.get(name);
        const errRate = b && b.spans ? b.errors / b.spans : 0;
        const slowRate = b && b.spans ? b.slow / b.spans : 0;
        baseErrorRate[s] = errRate;
        baseSlowRate[s] = slowRate;
        excessErrors[s] = w.errors - w.spans * errRate;
        excessSlow[s] = w.slow - w.spans * slowRate;
        return excessErrors[s] + excessSlow[s];
      });
      return rankServices(
        services,
        score,
        (s) =>
          `${now.get(services[s])!.errors} errors and ${now.get(services[s])!.slow} slow of ${now.get(services[s])!.spans} calls; ` +
          `${excessErrors[s].toFixed(1)} and ${excessSlow[s].toFixed(1)} above baseline`,
        {
          instances: ctx.instances,
          evidence: (s) => {
            const w = now.get(services[s])!;
            const per1000 = (n: number) => (w.spans ? (1000 * n) / w.spans : 0);
            return [
              { kind: 'calls', subject: services[s], value: per1000(w.errors), baseline: 1000 * baseErrorRate[s], unit: 'errors per 1000 calls', note: `${w.errors} errors of ${w.spans} calls` },
              { kind: 'calls', subject: services[s], value: per1000(w.slow), baseline: 1000 * baseSlowRate[s], unit: 'slow calls per 1000 calls', note: `${w.slow} slow of ${w.spans} calls` },
            ];
          },
        },
      );
    },
  }),
});
