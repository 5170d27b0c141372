import { Dictionary, Field, Float64, Int16, Int32, Int8, Schema, Utf8 } from 'apache-arrow';
import { MESSAGE_COLUMNS, MESSAGE_OPERATION_COLUMN, type MessageColumn } from './formats.js';

/** The dictionary-encoded columns of messages.arrow, in file order. */
export const MESSAGE_DICT_COLUMNS = [
  'msgType',
  'topic',
  'txType',
  'senderSubsystem',
  'senderService',
  'senderInstance',
  'senderIp',
  'senderDcn',
  'receiverSubsystem',
  'receiverService',
  'receiverInstance',
  'receiverIp',
  'receiverDcn',
  'logPoint',
  'retCode',
  'retClass',
] as const satisfies readonly MessageColumn[];
export type MessageDictColumn = (typeof MESSAGE_DICT_COLUMNS)[number];

/** Column order of messages.arrow: the near-unique ids, the dictionaries, then the numbers. */
export const MESSAGE_COLUMN_ORDER: readonly MessageColumn[] = [
  'bizSeqNo',
  'uniqueId',
  ...MESSAGE_DICT_COLUMNS,
  'sendTime',
  'recvTime',
  'ttl',
];

/** Index (code) types of the dictionary columns: signed, as the Arrow spec recommends. */
export type DictIndex = Int8 | Int16 | Int32;
export type DictCodes = Int8Array | Int16Array | Int32Array;

/** The smallest signed index type whose codes reach a dictionary of `size` strings. */
export function indexTypeFor(size: number): DictIndex {
  return size <= 0x80 ? new Int8() : size <= 0x8000 ? new Int16() : new Int32();
}

export interface MessageArrowTypes {
  schema: Schema;
  utf8: Utf8;
  float64: Float64;
  int32: Int32;
  dict: Record<MessageDictColumn, Dictionary<Utf8, DictIndex>>;
  /** The optional `operation` column (last in the file), when the log carries it. */
  operation?: Dictionary<Utf8, DictIndex>;
}

/**
 * Arrow types for messages.arrow; each dictionary column has its own dictionary id (its index).
 * Index types default to Int32 (dictionaries that may grow without bound). With `operation`, the
 * schema ends with the optional operation column in that index type; without it the file is
 * exactly as before the column existed.
 */
export function messageArrowTypes(indexTypes?: Partial<Record<MessageDictColumn, DictIndex>>, operation?: DictIndex): MessageArrowTypes {
  const utf8 = new Utf8();
  const float64 = new Float64();
  const int32 = new Int32();
  const dict = {} as Record<MessageDictColumn, Dictionary<Utf8, DictIndex>>;
  MESSAGE_DICT_COLUMNS.forEach((c, i) => (dict[c] = new Dictionary(new Utf8(), indexTypes?.[c] ?? new Int32(), i)));
  const typeOf = (c: MessageColumn) =>
    c === 'bizSeqNo' || c === 'uniqueId'
      ? utf8
      : c === 'sendTime' || c === 'recvTime'
        ? float64
        : c === 'ttl'
          ? int32
          : dict[c as MessageDictColumn];
  const fields = MESSAGE_COLUMN_ORDER.map((c) => new Field(MESSAGE_COLUMNS[c], typeOf(c), false));
  const op = operation ? new Dictionary(new Utf8(), operation, MESSAGE_DICT_COLUMNS.length) : undefined;
  if (op) fields.push(new Field(MESSAGE_OPERATION_COLUMN, op, false));
  return { schema: new Schema(fields), utf8, float64, int32, dict, ...(op ? { operation: op } : {}) };
}
