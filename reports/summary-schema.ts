/**
 * summary.json: the stable, machine-read result of a run (README, "summary.json"). The zod schema
 * is the single definition: types are inferred from it, `compare` validates inputs with it, and
 * SUMMARY_JSON_SCHEMA is its JSON Schema. Bump SUMMARY_VERSION on any incompatible change.
 * Figures that are undefined (no event to time, no fault of a kind) are null.
 */
import { z } from 'zod';
import { DETECTION_FIGURES, MTTR_FIGURES, RCA_FIGURES, type Figure } from '../scores/figures.js';

export const SUMMARY_SCHEMA_ID = 'faultline/summary';
export const SUMMARY_VERSION = 1;

const num = z.number().nullable();

/** A figure's schema: counts are integers and always defined; everything else may be undefined (null). */
function figureSchema(f: Figure): z.ZodType {
  if (f.perK) return z.record(z.string(), num);
  return f.unit === 'count' ? z.number().int() : num;
}

/** The summary fields of a figure table, in its order (per-item-only figures left out). */
function figureShape(table: readonly Figure[], pick: (f: Figure) => boolean = () => true): Record<string, z.ZodType> {
  return Object.fromEntries(table.filter((f) => !f.itemOnly && pick(f)).map((f) => [f.key, figureSchema(f)]));
}

/** The per-fault-type breakdown of a table: its byType figures, under their per-type names. */
function byTypeShape(table: readonly Figure[]): Record<string, z.ZodType> {
  return Object.fromEntries(table.filter((f) => f.byType).map((f) => [f.byTypeKey ?? f.key, figureSchema(f)]));
}

const MttrPhasesSchema = z.object(byTypeShape(MTTR_FIGURES));

export const DetectorSummarySchema = z.object({
  name: z.string(),
  ...figureShape(DETECTION_FIGURES),
  byType: z.record(z.string(), z.object(byTypeShape(DETECTION_FIGURES))),
});

export const RcaSummarySchema = z.object({
  name: z.string(),
  ...figureShape(RCA_FIGURES),
  byType: z.record(z.string(), z.object(byTypeShape(RCA_FIGURES))),
});

export const PairingSchema = z.object({
  detector: z.string(),
  rca: z.string(),
  ...figureShape(MTTR_FIGURES),
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
  gate: z.object({ minAc1: z.union([num, z.record(z.string(), z.number())]), passed: z.boolean(), message: z.string() }),
});

/** A figure's value in summary.json: counts are numbers, per-k figures records, the rest number or null. */
type Value<F extends Figure> = F extends { perK: true } ? Record<string, number | null> : F extends { unit: 'count' } ? number : number | null;
/** The summary fields of a figure table, typed from the table itself. */
type SummaryFigures<T extends readonly Figure[]> = { [F in T[number] as F extends { itemOnly: true } ? never : F['key']]: Value<F> };
type ByTypeFigures<T extends readonly Figure[]> = {
  [F in T[number] as F extends { byType: true } ? (F extends { byTypeKey: infer K extends string } ? K : F['key']) : never]: Value<F>;
};

/** A detector's figures over a run (DETECTION_FIGURES). */
export type DetectorSummary = { name: string } & SummaryFigures<typeof DETECTION_FIGURES> & { byType: Record<string, ByTypeFigures<typeof DETECTION_FIGURES>> };
/** An RCA method's figures over a run (RCA_FIGURES). */
export type RcaSummary = { name: string } & SummaryFigures<typeof RCA_FIGURES> & { byType: Record<string, ByTypeFigures<typeof RCA_FIGURES>> };
/** A detector + RCA pairing's MTTR figures (MTTR_FIGURES). */
export type PairingSummary = { detector: string; rca: string } & SummaryFigures<typeof MTTR_FIGURES> & { byType: Record<string, ByTypeFigures<typeof MTTR_FIGURES>> };

type Parsed = z.infer<typeof SummarySchema>;
export type Summary = Omit<Parsed, 'detectors' | 'rca' | 'mttr'> & {
  detectors: DetectorSummary[];
  rca: RcaSummary[];
  mttr: Omit<Parsed['mttr'], 'pairings'> & { pairings: PairingSummary[] };
};

export const SUMMARY_JSON_SCHEMA = z.toJSONSchema(SummarySchema);
