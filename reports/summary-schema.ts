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
  const schema = f.perK ? z.record(z.string(), num) : f.unit === 'count' ? z.number().int() : num;
  return f.optional ? schema.optional() : schema;
}

/** The summary fields of a figure table, in its order (per-item-only figures left out). */
function figureShape(table: readonly Figure[], pick: (f: Figure) => boolean = () => true): Record<string, z.ZodType> {
  return Object.fromEntries(table.filter((f) => !f.itemOnly && pick(f)).map((f) => [f.key, figureSchema(f)]));
}

/** The per-fault-type breakdown of a table: its byType figures, under their per-type names. */
function byTypeShape(table: readonly Figure[]): Record<string, z.ZodType> {
  return Object.fromEntries(table.filter((f) => f.byType).map((f) => [f.byTypeKey ?? f.key, figureSchema(f)]));
}

/** A 95% bootstrap interval: its 2.5% and 97.5% quantiles, null when undefined. */
export const IntervalSchema = z.object({ low: num, high: num });
/** A figure's mean and sample sd over the run's seeds (n: seeds where it is defined). */
export const SeedStatsSchema = z.object({ mean: num, sd: num, n: z.number().int() });

/** The headline figures' intervals, under their keys (per type: their per-type names). */
function intervalShape(table: readonly Figure[], byType: boolean): Record<string, z.ZodType> {
  return Object.fromEntries(table.filter((f) => f.interval && (!byType || f.byType)).map((f) => [byType ? (f.byTypeKey ?? f.key) : f.key, IntervalSchema]));
}

function seedShape(table: readonly Figure[]): Record<string, z.ZodType> {
  return Object.fromEntries(table.filter((f) => f.interval).map((f) => [f.key, SeedStatsSchema]));
}

/** A method's summary: its figures, the headline figures' intervals and spread over seeds, and the same per fault type. */
function methodSchema(table: readonly Figure[]) {
  return z.object({
    name: z.string(),
    /** A trivial method shown as the floor others must clear (Plugin.reference). */
    reference: z.boolean().optional(),
    ...figureShape(table),
    intervals: z.object(intervalShape(table, false)).optional(),
    /** Present when the run has several seeds. */
    overSeeds: z.object(seedShape(table)).optional(),
    byType: z.record(z.string(), z.object({ ...byTypeShape(table), intervals: z.object(intervalShape(table, true)).optional() })),
  });
}

const MttrPhasesSchema = z.object(byTypeShape(MTTR_FIGURES));

export const DetectorSummarySchema = methodSchema(DETECTION_FIGURES);

export const RcaSummarySchema = methodSchema(RCA_FIGURES);

/** How a run was made: reports/run-facts.ts. */
export const RunFactsSchema = z.object({
  faultline: z.string(),
  /** The git commit of the faultline that ran, when it runs from a git checkout. */
  commit: z.string().nullable(),
  /** When the report was written (ISO 8601, UTC; SOURCE_DATE_EPOCH when set). */
  date: z.string(),
  /** The command line, when run from the CLI. */
  command: z.string().nullable(),
  suite: z.string().nullable(),
  seeds: z.array(z.number().int()).nullable(),
  /** Every method with its effective options (defaults filled). */
  methods: z.array(
    z.object({
      kind: z.enum(['detector', 'rca']),
      name: z.string(),
      spec: z.string(),
      options: z.record(z.string(), z.unknown()),
      reference: z.boolean(),
    }),
  ),
});

export const PairingSchema = z.object({
  detector: z.string(),
  rca: z.string(),
  ...figureShape(MTTR_FIGURES),
  intervals: z.object(intervalShape(MTTR_FIGURES, false)).optional(),
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
      /** What reading or generating the item's data left out (scores/item-result.ts `notes`); absent when nothing. */
      notes: z.array(z.string()).optional(),
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
  run: RunFactsSchema.optional(),
});

/** A figure's value in summary.json: counts are numbers, per-k figures records, the rest number or null. */
type Value<F extends Figure> = F extends { perK: true } ? Record<string, number | null> : F extends { unit: 'count' } ? number : number | null;
/** The summary fields of a figure table, typed from the table itself. */
type SummaryFigures<T extends readonly Figure[]> = { [F in T[number] as F extends { itemOnly: true } ? never : F['key']]: Value<F> };
type ByTypeFigures<T extends readonly Figure[]> = {
  [F in T[number] as F extends { byType: true } ? (F extends { byTypeKey: infer K extends string } ? K : F['key']) : never]: Value<F>;
};

export type IntervalJson = z.infer<typeof IntervalSchema>;
export type SeedStats = z.infer<typeof SeedStatsSchema>;
export type RunFacts = z.infer<typeof RunFactsSchema>;
export type MethodFacts = RunFacts['methods'][number];

type IntervalFigures<T extends readonly Figure[]> = { [F in T[number] as F extends { interval: true } ? F['key'] : never]: IntervalJson };
type ByTypeIntervalFigures<T extends readonly Figure[]> = {
  [F in T[number] as F extends { interval: true; byType: true } ? (F extends { byTypeKey: infer K extends string } ? K : F['key']) : never]: IntervalJson;
};
type SeedFigures<T extends readonly Figure[]> = { [F in T[number] as F extends { interval: true } ? F['key'] : never]: SeedStats };
/** A method's summary over a run, typed from its figure table. */
type MethodSummary<T extends readonly Figure[]> = { name: string; reference?: boolean } & SummaryFigures<T> & {
    intervals: IntervalFigures<T>;
    overSeeds?: SeedFigures<T>;
    byType: Record<string, ByTypeFigures<T> & { intervals: ByTypeIntervalFigures<T> }>;
  };

/** A detector's figures over a run (DETECTION_FIGURES). */
export type DetectorSummary = MethodSummary<typeof DETECTION_FIGURES>;
/** An RCA method's figures over a run (RCA_FIGURES). */
export type RcaSummary = MethodSummary<typeof RCA_FIGURES>;
/** A detector + RCA pairing's MTTR figures (MTTR_FIGURES). */
export type PairingSummary = { detector: string; rca: string } & SummaryFigures<typeof MTTR_FIGURES> & {
    intervals: IntervalFigures<typeof MTTR_FIGURES>;
    byType: Record<string, ByTypeFigures<typeof MTTR_FIGURES>>;
  };

type Parsed = z.infer<typeof SummarySchema>;
export type Summary = Omit<Parsed, 'detectors' | 'rca' | 'mttr'> & {
  detectors: DetectorSummary[];
  rca: RcaSummary[];
  mttr: Omit<Parsed['mttr'], 'pairings'> & { pairings: PairingSummary[] };
};

export const SUMMARY_JSON_SCHEMA = z.toJSONSchema(SummarySchema);
