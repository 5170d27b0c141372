/**
 * Incidents as CSV (`id,start[,end],rootCause[,rootCauseInstance][,type]`, several root causes
 * separated by `;`), as a Nezha fault list, and incidents.json as faultline writes it (the JSON that rca's readIncidents
 * reads: times in unix ms).
 */
import { repeatedColumn } from '../common/csv.js';
import path from 'node:path';
import { DEFAULT_INCIDENT_MS, IncidentIds, incidentsFromTruth, readIncidents, readNezhaFaultList } from './incidents.js';
import type { Truth } from '../sim/formats.js';
import { readTruth } from '../sim/read.js';
import type { Incident } from './types.js';
import { writeFileAtomic } from '../common/atomic-file.js';
import type { BadRows } from '../common/bad-rows.js';
import { ImportError } from '../common/bad-rows.js';
import { instantProblem, parseInstant } from '../common/instant.js';
import { readCsvRecords } from '../common/text-lines.js';
import { parseJsonText, readText } from '../common/validated-file.js';

const CSV_COLUMNS = ['id', 'start', 'end', 'rootCause', 'rootCauseInstance', 'type'] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

/** Times are unix ms or ISO 8601 (UTC when no zone is given); a missing end means start + 5 minutes. */
export async function readIncidentsCsv(file: string, badRows: BadRows): Promise<Incident[]> {
  const out: Incident[] = [];
  const ids = new IncidentIds<number>();
  let index: Record<CsvColumn, number> | null = null;
  let width = 0;
  for await (const { fields, lineNo } of readCsvRecords(file, badRows)) {
    if (!index) {
      const header = fields.map((f) => f.trim());
      width = header.length;
      index = Object.fromEntries(CSV_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<CsvColumn, number>;
      const twice = repeatedColumn(header, CSV_COLUMNS);
      if (twice) throw new ImportError(file, 'line 1', `column "${twice}" appears twice`);
      const missing = (['id', 'start', 'rootCause'] as const).filter((c) => index![c] < 0);
      if (missing.length) throw new ImportError(file, 'line 1', `header lacks ${missing.join(', ')} (need id,start[,end],rootCause[,rootCauseInstance][,type])`);
      continue;
    }
    const place = `line ${lineNo}`;
    if (fields.length !== width) {
      badRows.report(file, place, `${fields.length} fields, header has ${width}`);
      continue;
    }
    const field = (c: CsvColumn) => (index![c] < 0 ? '' : fields[index![c]].trim());
    const start = parseInstant(field('start'), 'ms');
    const end = field('end') === '' ? start + DEFAULT_INCIDENT_MS : parseInstant(field('end'), 'ms');
    const problem = !field('id')
      ? 'empty id'
      : !Number.isFinite(start)
        ? `start '${field('start')}' is neither unix ms nor ISO 8601`
        : !Number.isFinite(end)
          ? `end '${field('end')}' is neither unix ms nor ISO 8601`
          : instantProblem(start, 'ms') || instantProblem(end, 'ms')
            ? `${instantProblem(start, 'ms') ? 'start' : 'end'}: ${instantProblem(start, 'ms') || instantProblem(end, 'ms')}`
            : !(end > start)
              ? 'end must be after start'
              : '';
    if (problem) {
      badRows.report(file, place, problem);
      continue;
    }
    const earlier = ids.recordOrEarlier(field('id'), lineNo);
    if (earlier !== undefined) {
      badRows.report(file, place, `id "${field('id')}" is also on line ${earlier}: incident ids must be unique`);
      continue;
    }
    const incident: Incident = { id: field('id'), start, end, rootCause: field('rootCause').split(';').map((s) => s.trim()).filter(Boolean) };
    if (field('rootCauseInstance')) incident.rootCauseInstance = field('rootCauseInstance');
    if (field('type')) incident.type = field('type');
    out.push(incident);
  }
  if (!index) throw new ImportError(file, '', 'empty file (need a header id,start[,end],rootCause[,rootCauseInstance][,type])');
  if (!out.length) throw new ImportError(file, '', 'no incidents in the file');
  return out;
}

function isNezhaFaultList(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const lists = Object.values(raw);
  return lists.length > 0 && lists.every((l) => Array.isArray(l) && l.every((f) => typeof f === 'object' && f !== null && 'inject_time' in f));
}

async function readTruthFile(file: string): Promise<Truth> {
  if (path.basename(file) !== 'truth.json') throw new ImportError(file, '', 'a ground-truth file must be named truth.json (sim reads it from its folder)');
  return readTruth(path.dirname(file));
}

/** Incidents from CSV, rca's JSON array, a Nezha fault_list.json or a generated truth.json. */
export async function readIncidentsFile(file: string, badRows: BadRows, serviceFromInstance?: string): Promise<Incident[]> {
  if (/\.csv(\.gz)?$/i.test(file)) return readIncidentsCsv(file, badRows);
  const raw = parseJsonText(readText(file, 'incidents file'), file);
  if (isNezhaFaultList(raw)) return readNezhaFaultList(file, serviceFromInstance);
  // A generated data set's truth.json: one incident per injected fault (validated by sim's reader).
  if (typeof raw === 'object' && raw !== null && Array.isArray((raw as Truth).faults)) return incidentsFromTruth(await readTruthFile(file));
  return readIncidents(file);
}

export function writeIncidentsJson(file: string, incidents: Incident[]): void {
  const plain = incidents.map((i) => {
    const o: Record<string, unknown> = { id: i.id, start: i.start, end: i.end, rootCause: i.rootCause };
    if (i.rootCauseInstance !== undefined) o.rootCauseInstance = i.rootCauseInstance;
    if (i.type !== undefined) o.type = i.type;
    return o;
  });
  writeFileAtomic(file, `${JSON.stringify(plain, null, 2)}\n`);
}
