import { scanMessages } from '../sim/read.js';
import type { MessageBatch } from '../sim/formats.js';
import { TransactionTreeBuilder } from './builder.js';
import type { TreeStats } from './calls.js';
import { loadTreeRules, type TreeRules } from './rules.js';
import type { SpanTable } from '../data/types.js';

export interface TreeOptions {
  /** Rules YAML path (default trees/rules/wemq.yaml). */
  rules?: string;
  /** Overrides the rules' collection window per bizSeqNo. */
  windowMs?: number;
  /** Receives the mess counters (duplicates, orphans, timeouts, ...) when building ends. */
  onStats?: (stats: TreeStats) => void;
}

function rulesFor(opts: TreeOptions): TreeRules {
  const rules = loadTreeRules(opts.rules);
  return opts.windowMs === undefined ? rules : { ...rules, windowMs: opts.windowMs };
}

/** Transaction trees from in-memory message batches (streamed: only open transactions are held). */
export async function buildSpansFromBatches(
  batches: AsyncIterable<MessageBatch> | Iterable<MessageBatch>,
  opts: TreeOptions = {},
): Promise<SpanTable> {
  const builder = new TransactionTreeBuilder(rulesFor(opts));
  for await (const b of batches) builder.push(b);
  const spans = builder.finish();
  opts.onStats?.(builder.stats);
  return spans;
}

/** Transaction trees from a messages.arrow file, read batch by batch. */
export async function buildSpans(messagesPath: string, opts: TreeOptions = {}): Promise<SpanTable> {
  const builder = new TransactionTreeBuilder(rulesFor(opts));
  await scanMessages(messagesPath, (b) => builder.push(b));
  const spans = builder.finish();
  opts.onStats?.(builder.stats);
  return spans;
}
