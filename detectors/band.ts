/**
 * Trivial reference: the band between the training series' 1st and 99th percentiles is normal,
 * anything outside it alarms (the static threshold with quantile edges). Shipped so that every
 * report shows how far above trivial each method is.
 */
import { z } from 'zod';
import { definePlugin } from '../common/plugin.js';
import type { DetectorPlugin } from './types.js';
import { StaticThreshold } from './threshold.js';

export const bandDetector: DetectorPlugin = definePlugin({
  name: 'band',
  description: 'trivial reference: alarm outside the training p1..p99 band',
  options: z.strictObject({
    quantile: z.number().min(0).max(0.5).default(0.01).describe('the band is the training quantiles q..1-q'),
  }),
  needs: ['kpis'],
  reference: true,
  create: (o) => new StaticThreshold({ trainQuantile: o.quantile }),
});
