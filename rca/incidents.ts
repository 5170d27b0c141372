import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Truth } from '../sim/formats.js';
import type { Incident } from './types.js';

/** An incident given without `end` lasts this long from its start (5 minutes). */
export const DEFAULT_INCIDENT_MS = 5 * 60_000;

const time = z.union([z.number().finite(), z.string().min(1)]);
const incidentSchema = z
  .object({
    id: z.union([z.string().min(1), z.number()]),
    start: time,
    end: time.optional(),
    rootCause: z.array(z.string()).default([]),
    rootCauseInstance: z.string().optional(),
    type: z.string().optional(),
  })
  .strict();

function toMs(v: number | string, where: string): number {
  if (typeof v === 'number') return v;
  const t = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw new Error(`${where}: not unix ms or ISO 8601: ${JSON.stringify(v)}`);
  return t;
}

/**
 * Reads an incidents file: a JSON array of `{id, start, end?, rootCause: [service...], type?,
 * rootCauseInstance?}`, times as unix ms or ISO 8601; a missing end means start + 5 minutes.
 */
export async function readIncidents(path: string): Promise<Incident[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read incidents: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new Error(`${path}: expected a JSON array of incidents`);
  return raw.map((item, i) => {
    const parsed = incidentSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${path}: [${i}].${issue.path.join('.') || '(item)'}: ${issue.message}`);
    }
    const d = parsed.data;
    const start = toMs(d.start, `${path}: [${i}].start`);
    const end = d.end === undefined ? start + DEFAULT_INCIDENT_MS : toMs(d.end, `${path}: [${i}].end`);
    if (!(end > start)) throw new Error(`${path}: [${i}].end: must be after start`);
    const incident: Incident = { id: String(d.id), start, end, rootCause: d.rootCause };
    if (d.rootCauseInstance !== undefined) incident.rootCauseInstance = d.rootCauseInstance;
    if (d.type !== undefined) incident.type = d.type;
    return incident;
  });
}

/** One incident per injected fault: its window, confirmed root cause and type. */
export function incidentsFromTruth(truth: Truth): Incident[] {
  return truth.faults.map((f) => {
    const incident: Incident = { id: f.id, start: f.start, end: f.end, rootCause: f.rootCause, type: f.type };
    if (f.rootCauseInstance !== undefined) incident.rootCauseInstance = f.rootCauseInstance;
    return incident;
  });
}
