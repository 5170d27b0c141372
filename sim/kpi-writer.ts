import { KPI_COLUMNS, type KpiTable } from './formats.js';
import { ColumnarFileWriter, type ColumnData } from './arrow-writer.js';

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
 * Write a KpiTable as kpis.arrow (Arrow IPC file, one record batch, Int32 dictionary indices),
 * under a temporary name then renamed. Returns the file's size and sha256.
 */
export async function writeKpis(path: string, table: KpiTable): Promise<{ bytes: number; sha256: string }> {
  const writer = ColumnarFileWriter.open(
    path,
    ORDER.map((c) => (c === 'scope' || c === 'name' ? { name: KPI_COLUMNS[c], kind: 'dict' as const, values: table[c].values } : { name: KPI_COLUMNS[c], kind: 'f64' as const })),
    { int32Indices: true },
  );
  try {
    const data: Record<string, ColumnData> = {};
    for (const c of ORDER) data[KPI_COLUMNS[c]] = c === 'scope' || c === 'name' ? table[c].codes : table[c];
    writer.write(table.length, data);
  } catch (err) {
    writer.abort();
    throw err;
  }
  return writer.close();
}
