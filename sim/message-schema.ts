import { Dictionary, Field, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import { MESSAGE_COLUMNS, type MessageColumn } from './formats.js';

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

export interface MessageArrowTypes {
  schema: Schema;
  utf8: Utf8;
  float64: Float64;
  int32: Int32;
  dict: Record<MessageDictColumn, Dictionary<Utf8, Int32>>;
}

/** Arrow types for messages.arrow; each dictionary column has its own dictionary id (its index). */
export function messageArrowTypes(): MessageArrowTypes {
  const utf8 = new Utf8();
  const float64 = new Float64();
  const int32 = new Int32();
  const dict = {} as Record<MessageDictColumn, Dictionary<Utf8, Int32>>;
  MESSAGE_DICT_COLUMNS.forEach((c, i) => (dict[c] = new Dictionary(new Utf8(), new Int32(), i)));
  const typeOf = (c: MessageColumn) =>
    c === 'bizSeqNo' || c === 'uniqueId'
      ? utf8
      : c === 'sendTime' || c === 'recvTime'
        ? float64
        : c === 'ttl'
          ? int32
          : dict[c as MessageDictColumn];
  const schema = new Schema(MESSAGE_COLUMN_ORDER.map((c) => new Field(MESSAGE_COLUMNS[c], typeOf(c), false)));
  return { schema, utf8, float64, int32, dict };
}
