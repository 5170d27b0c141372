import { z } from 'zod';
import { instantProblem, parseInstant } from '../common/instant.js';
import { FileError, parseYamlText, readJsonFile, readText } from '../common/validated-file.js';
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

const incidentsSchema = z.array(incidentSchema);

function toMs(v: number | string): number {
  return typeof v === 'number' ? v : parseInstant(v, 'ms'); // a zone-less ISO time is UTC, wherever this runs
}

/**
 * Where each incident id was first given. Rankings and scores are keyed by id, so two incidents of
 * one id would be told apart by nothing: the readers refuse an id given again, naming both places.
 */
export class IncidentIds<Place> {
  private readonly first = new Map<string, Place>();

  /** Where `id` was given before; undefined for a new id, which is then kept as given at `place`. */
  recordOrEarlier(id: string, place: Place): Place | undefined {
    const before = this.first.get(id);
    if (before === undefined) this.first.set(id, place);
    return before;
  }
}

/**
 * Reads an incidents file: a JSON array of `{id, start, end?, rootCause: [service...], type?,
 * rootCauseInstance?}`, times as unix ms or ISO 8601; a missing end means start + 5 minutes.
 */
export async function readIncidents(path: string): Promise<Incident[]> {
  const incidents = readJsonFile(path, incidentsSchema, 'incidents file').map((d, i) => {
    const start = toMs(d.start);
    const end = d.end === undefined ? start + DEFAULT_INCIDENT_MS : toMs(d.end);
    if (!Number.isFinite(start)) throw new FileError(path, `[${i}].start`, `not unix ms or ISO 8601: ${JSON.stringify(d.start)}`);
    if (!Number.isFinite(end)) throw new FileError(path, `[${i}].end`, `not unix ms or ISO 8601: ${JSON.stringify(d.end)}`);
    const startProblem = instantProblem(start, typeof d.start === 'number' ? 'ms' : undefined);
    if (startProblem) throw new FileError(path, `[${i}].start`, startProblem);
    const endProblem = instantProblem(end, typeof d.end === 'number' ? 'ms' : undefined);
    if (endProblem) throw new FileError(path, `[${i}].end`, endProblem);
    if (!(end > start)) throw new FileError(path, `[${i}].end`, 'must be after start');
    const incident: Incident = { id: String(d.id), start, end, rootCause: d.rootCause };
    if (d.rootCauseInstance !== undefined) incident.rootCauseInstance = d.rootCauseInstance;
    if (d.type !== undefined) incident.type = d.type;
    return incident;
  });
  const ids = new IncidentIds<number>();
  incidents.forEach(({ id }, k) => {
    const i = ids.recordOrEarlier(id, k);
    if (i === undefined) return;
    // JSON.parse keeps no lines: the file is read again, as YAML, only to name them.
    const doc = parseYamlText(readText(path), path);
    throw new FileError(path, `[${k}].id`, `${JSON.stringify(id)} is also the id of [${i}] (line ${doc.lineOf([i, 'id'])?.line}): incident ids must be unique`, doc.lineOf([k, 'id'])?.line);
  });
  return incidents;
}

/** One incident per injected fault: its window, confirmed root cause, type, tags, severity and the series it moved. */
export function incidentsFromTruth(truth: Truth): Incident[] {
  return truth.faults.map((f) => {
    const incident: Incident = { id: f.id, start: f.start, end: f.end, rootCause: f.rootCause, type: f.type, tags: f.tags, severity: f.severity, moved: f.moved };
    if (f.rootCauseInstance !== undefined) incident.rootCauseInstance = f.rootCauseInstance;
    return incident;
  });
}

/**
 * A Nezha fault's window: the published data sets hold about 2 minutes of traces and logs after
 * each injection (and about 1 before), so the fault is judged over 3 minutes from it.
 */
export const NEZHA_INCIDENT_MS = 3 * 60_000;

/** Kubernetes pod name: deployment name, then the ReplicaSet hash and the pod suffix. */
export const POD_SERVICE_RE = /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/;

/** An instant as a Nezha fault list writes it (read as UTC), or why it is not one. */
const nezhaInstant = z.string().superRefine((v, ctx) => {
  const t = parseInstant(v, 'ms');
  const problem = Number.isFinite(t) ? instantProblem(t) : `${JSON.stringify(v)} is not a date-time`;
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The Nezha fault list (`fault_list.json`): `{ "<hour>": [{ inject_time, inject_pod, inject_type }] }`. */
export const nezhaFaultListSchema = z.record(
  z.string(),
  z.array(z.looseObject({ inject_time: nezhaInstant, inject_pod: z.string().min(1), inject_type: z.string().optional() })),
);
export type NezhaFaultList = z.output<typeof nezhaFaultListSchema>;

/**
 * Incidents from a Nezha fault list. inject_time is read as UTC, the clock of the Nezha traces; the
 * service is the pod's deployment (or the first group of `serviceFromInstance`); each fault lasts
 * `durationMs` (default NEZHA_INCIDENT_MS).
 */
export function incidentsFromNezhaFaultList(list: NezhaFaultList, file: string, serviceFromInstance?: string, durationMs = NEZHA_INCIDENT_MS): Incident[] {
  const re = serviceFromInstance ? new RegExp(serviceFromInstance) : POD_SERVICE_RE;
  const out: Incident[] = [];
  // An incident's id is its injection time.
  const ids = new IncidentIds<string>();
  for (const [hour, faults] of Object.entries(list)) {
    faults.forEach((f, k) => {
      const start = parseInstant(f.inject_time, 'ms');
      const service = re.exec(f.inject_pod)?.[1];
      if (!service) throw new FileError(file, `${hour}[${k}].inject_pod`, `cannot derive a service from ${JSON.stringify(f.inject_pod)} with /${re.source}/`);
      const id = new Date(start).toISOString();
      const seen = ids.recordOrEarlier(id, `${hour}[${k}]`);
      if (seen !== undefined) throw new FileError(file, `${hour}[${k}].inject_time`, `${JSON.stringify(f.inject_time)} is also the injection time of ${seen}: two faults injected at one instant cannot be told apart (an incident's id is its injection time)`);
      const incident: Incident = { id, start, end: start + durationMs, rootCause: [service], rootCauseInstance: f.inject_pod };
      if (f.inject_type !== undefined) incident.type = f.inject_type;
      out.push(incident);
    });
  }
  return out.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
}

/** Reads a Nezha fault_list.json: a problem names the file, its line and the field. */
export function readNezhaFaultList(file: string, serviceFromInstance?: string, durationMs = NEZHA_INCIDENT_MS): Incident[] {
  return incidentsFromNezhaFaultList(readJsonFile(file, nezhaFaultListSchema, 'Nezha fault list'), file, serviceFromInstance, durationMs);
}
