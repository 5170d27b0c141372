import { Dictionary, Field, Float64, Int32, makeData, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { KPI_COLUMNS, type KpiTable } from './formats.js';
import { AtomicFile } from '../common/atomic-file.js';
import { FileSink } from './file-sink.js';

/** The Float64 columns of kpis.arrow (all but scope and name). */
export const KPI_FLOAT_COLUMNS = [
  'minute',
  'volume',
  'businessSuccessCount',
  'systemSuccessCount',
  'latencySum',
  'businessSuccessRate',
  'systemSuccessRate',
  'avgLatency',
] as const;

/** kpis.arrow column order: minute, scope, name, then the counts and KPIs. */
const ORDER = ['minute', 'scope', 'name', ...KPI_FLOAT_COLUMNS.slice(1)] as const;

/**
 * Write a KpiTable as kpis.arrow (Arrow IPC file), under a temporary name then renamed. Returns
 * the file's size and sha256.
 */
export async function writeKpis(path: string, table: KpiTable): Promise<{ bytes: number; sha256: string }> {
  const f64 = new Float64();
  const scopeType = new Dictionary(new Utf8(), new Int32(), 0);
  const nameType = new Dictionary(new Utf8(), new Int32(), 1);
  const typeOf = (c: (typeof ORDER)[number]) => (c === 'scope' ? scopeType : c === 'name' ? nameType : f64);
  const schema = new Schema(ORDER.map((c) => new Field(KPI_COLUMNS[c], typeOf(c), false)));
  const scopeDict = vectorFromArray(table.scope.values, new Utf8());
  const nameDict = vectorFromArray(table.name.values, new Utf8());
  const file = AtomicFile.open(path);
  try {
    const writer = new RecordBatchFileWriter();
    writer.reset(new FileSink(file), schema);
    const n = table.length;
    const children: Data[] = ORDER.map((c) =>
      c === 'scope'
        ? makeData({ type: scopeType, length: n, nullCount: 0, data: table.scope.codes.subarray(0, n), dictionary: scopeDict })
        : c === 'name'
          ? makeData({ type: nameType, length: n, nullCount: 0, data: table.name.codes.subarray(0, n), dictionary: nameDict })
          : makeData({ type: f64, length: n, nullCount: 0, data: table[c].subarray(0, n) }),
    );
    writer.write(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children })));
    writer.finish();
    await writer.close();
    file.commit();
    return { bytes: file.bytes, sha256: file.sha256 };
  } catch (err) {
    file.abort();
    throw err;
  }
}
