/**
 * summary.json: the stable, machine-read result of a run (README, "summary.json"). The zod schema
 * is the single definition: types are inferred from it, `compare` validates inputs with it, and
 * SUMMARY_JSON_SCHEMA is its JSON Schema. Bump SUMMARY_VERSION on any incompatible change.
 * Figures that are undefined (no event to time, no fault of a kind) are null.
 */
import { z } from 'zod';

export const SUMMARY_SCHEMA_ID = 'faultline/summary';
export const SUMMARY_VERSION = 1;

const num = z.number().nullable();

const MttrPhasesSchema = z.object({
  faults: z.number().int(),
  detectMs: num,
  identifyMs: num,
  identifyComputeMs: num,
  repairMs: num,
  mttrMs: num,
});

const DetectorTypeSchema = z.object({
  faults: z.number().int(),
  detected: z.number().int(),
  detectionRate: num,
  meanTimeToDetectMs: num,
});

export const DetectorSummarySchema = z.object({
  name: z.string(),
  /** Means over items of the per-item scores (point-adjusted with delay 7, own threshold). */
  pointAdjustedF1: num,
  precision: num,
  recall: num,
  pointF1: num,
  rangePrecision: num,
  rangeRecall: num,
  falseAlarmsPerDay: num,
  nabStandard: num,
  nabLowFP: num,
  nabLowFN: num,
  /** Pooled over all labelled anomaly segments of all items. */
  events: z.number().int(),
  detectedEvents: z.number().int(),
  eventRecall: num,
  /** Pooled over impacting faults: share alarmed, and mean fault start -> first alarm. */
  faults: z.number().int(),
  detectedFaults: z.number().int(),
  faultDetectionRate: num,
  meanTimeToDetectMs: num,
  computeMs: num, // mean per item, measured
  byType: z.record(z.string(), DetectorTypeSchema),
});

const RcaTypeSchema = z.object({
  incidents: z.number().int(),
  ac1: num,
  ac3: num,
  avg5: num,
  mrr: num,
});

export const RcaSummarySchema = z.object({
  name: z.string(),
  incidents: z.number().int(),
  ac1: num,
  ac3: num,
  avg5: num,
  mrr: num,
  prAt: z.record(z.string(), num),
  computeMs: num, // mean per incident, measured
  byType: z.record(z.string(), RcaTypeSchema),
});

export const PairingSchema = MttrPhasesSchema.extend({
  detector: z.string(),
  rca: z.string(),
  availability: num,
  byType: z.record(z.string(), MttrPhasesSchema),
});

export const SummarySchema = z.object({
  schema: z.literal(SUMMARY_SCHEMA_ID),
  version: z.literal(SUMMARY_VERSION),
  title: z.string(),
  suite: z.string().nullable(),
  items: z.array(
    z.object({
      key: z.string(),
      scenario: z.string(),
      seed: z.number().int().nullable(),
      generatorSeed: z.number().int().nullable(),
      faults: z.number().int(),
    }),
  ),
  faults: z.number().int(),
  impactingFaults: z.number().int(),
  faultTypes: z.record(z.string(), z.number().int()),
  detectors: z.array(DetectorSummarySchema),
  rca: z.array(RcaSummarySchema),
  bestRca: z.object({ name: z.string(), ac1: z.number() }).nullable(),
  mttr: z.object({
    model: z.object({
      operatorMinutesPerCandidate: z.number(),
      topK: z.number().int(),
      notFoundMinutes: z.number(),
      undetectedMinutes: z.number(),
      repairMinutes: z.record(z.string(), z.number()),
    }),
    mtbfMs: num,
    pairings: z.array(PairingSchema),
  }),
  gate: z.object({ minAc1: num, passed: z.boolean(), message: z.string() }),
});

export type Summary = z.infer<typeof SummarySchema>;
export type DetectorSummary = z.infer<typeof DetectorSummarySchema>;
export type RcaSummary = z.infer<typeof RcaSummarySchema>;
export type PairingSummary = z.infer<typeof PairingSchema>;

export const SUMMARY_JSON_SCHEMA = z.toJSONSchema(SummarySchema);
