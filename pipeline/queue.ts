/**
 * A shared queue of items on Redis (BullMQ), for sweeps whose items differ a lot in cost: the run
 * (`faultline run --queue redis://...`) puts its items on the queue a window at a time and
 * collects their results into its items/ folder; `faultline worker` processes, on any machine that
 * reaches Redis, pull one item at a time each. A job carries everything its item needs (the
 * scenario as data, the method specs), so workers need no files but the plugins named by path.
 *
 * A worker that dies mid-item stops renewing its lock; when the lock runs out, another worker's
 * stalled-job check puts the item back and it is evaluated again. Items are seeded from their
 * keys, so a retried item gives the same result. A run killed and restarted with the same
 * configuration finds its jobs again (job ids derive from the run configuration and the key) and
 * collects what finished meanwhile.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Piscina } from 'piscina';
import { UsageError } from '../common/errors.js';
import type { ItemResult } from '../scores/item-result.js';
import { itemError, WORKER_EXEC_ARGV, workerFile, type Evaluator, type TaskFor } from './run.js';
import type { SweepItem } from './sweep.js';
import type { WorkerTask } from './worker.js';
import { pidAlive } from '../common/output-dir.js';

/** The queue's name on the Redis server. */
export const QUEUE_NAME = 'faultline';
/** Items a run keeps on the queue at once (jobs carry their scenario: about 10 KB each). */
const WINDOW = 500;
/** How often a run checks its items' jobs when no event came (an event can be missed across a reconnect). */
const RECONCILE_MS = 15_000;

/** A job's data: an item's task without the run's scratch folder (each worker has its own). */
type QueueTask = Omit<WorkerTask, 'config'> & { config: Omit<WorkerTask['config'], 'scratch'> };
/** A job's return value. A failing item is an answer, not a job failure: retrying it would fail again. */
type QueueReply = { result: ItemResult } | { error: string };

/**
 * A Redis client for a `redis://[user:password@]host[:port][/db]` URL (`rediss://` for TLS). BullMQ
 * takes a client per queue, worker or event stream; whoever creates one quits it.
 */
export function redisClient(url: string): Redis {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--queue ${url}: not a URL; give redis://host:port`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`--queue ${url}: not a redis:// or rediss:// URL`);
  if (!/^\/?\d*$/.test(u.pathname)) throw new UsageError(`--queue ${url}: the path must be a database number`);
  // BullMQ's blocking reads need requests that wait for a reconnect rather than fail.
  return new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 10_000 });
}

const hash = (text: string, n: number) => createHash('sha256').update(text).digest('hex').slice(0, n);

/** The evaluator of a run on the queue at `url`; `identity` (configuration and shard) names its jobs. */
export function onQueue(url: string, identity: unknown, taskFor: TaskFor, name = QUEUE_NAME): Evaluator {
  return async (items, onResult) => {
    const clients = [redisClient(url), redisClient(url)];
    const run = hash(JSON.stringify(identity), 16);
    const jobId = (item: SweepItem) => `${run}-${hash(item.key, 24)}`;
    const byId = new Map(items.map((i) => [jobId(i), i]));
    const queue = new Queue<QueueTask, QueueReply>(name, { connection: clients[0]! });
    const events = new QueueEvents(name, { connection: clients[1]! });
    const pending = new Set<string>();
    const busy = new Set<string>();
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const nudge = () => wake?.();

    // Collects a job of this run if it has finished: writes its result, removes the job.
    const collect = async (id: string): Promise<void> => {
      const item = byId.get(id);
      if (!item || !pending.has(id) || busy.has(id)) return;
      busy.add(id);
      try {
        const job = await Job.fromId<QueueTask, QueueReply>(queue, id);
        const state = job ? await job.getState() : 'unknown';
        if (state === 'completed') {
          const reply = job!.returnvalue;
          if ('error' in reply) failure ??= itemError(item, new Error(reply.error));
          else onResult(item, reply.result);
          pending.delete(id);
          await job!.remove();
        } else if (state === 'failed') {
          failure ??= itemError(item, new Error(`failed on the queue: ${job!.failedReason}`));
          pending.delete(id);
        } else if (state === 'unknown') {
          await queue.add('item', task(item), { jobId: id });
        }
      } catch (err) {
        failure ??= itemError(item, err);
      } finally {
        busy.delete(id);
        nudge();
      }
    };
    const task = (item: SweepItem): QueueTask => {
      const { config, ...rest } = taskFor(item);
      const { scratch: _scratch, ...settings } = config;
      return { ...rest, config: settings };
    };
    events.on('completed', ({ jobId: id }) => void collect(id));
    events.on('failed', ({ jobId: id }) => void collect(id));
    try {
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      let next = 0;
      while (!failure && (next < items.length || pending.size > 0)) {
        while (!failure && next < items.length && pending.size < WINDOW) {
          const item = items[next++]!;
          const id = jobId(item);
          pending.add(id);
          const job = await queue.getJob(id);
          const state = job ? await job.getState() : 'unknown';
          // A failed job is from an earlier attempt of this run: it gets a new one.
          if (state === 'failed') await job!.remove();
          if (state === 'failed' || state === 'unknown') await queue.add('item', task(item), { jobId: id });
          else if (state === 'completed') await collect(id);
        }
        if (failure || (next >= items.length && pending.size === 0)) break;
        const woken = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), RECONCILE_MS);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        wake = undefined;
        if (!woken) await Promise.all([...pending].map(collect));
      }
      if (failure) {
        // Nobody will collect this run's queued items: take them off the queue.
        await Promise.all([...pending].map((id) => queue.remove(id).catch(() => 0)));
        throw failure;
      }
    } finally {
      await events.close();
      await queue.close();
      await Promise.all(clients.map((c) => c.quit()));
    }
  };
}

export interface WorkerOptions {
  queue: string;
  name?: string;
  /** Items evaluated at once (threads). */
  concurrency?: number;
  /** How long an item's claim lasts without renewal: a dead worker's item is retried after about this long. */
  lockMs?: number;
  onItem?: (key: string, ok: boolean) => void;
}

const SCRATCH_PREFIX = 'faultline-worker-';

/**
 * A queue worker: pulls items and evaluates each on its own thread (so lock renewals run while an
 * item computes). Resolves to a handle whose `close` lets the items under way finish.
 */
export async function startWorker(opts: WorkerOptions): Promise<{ close: () => Promise<void> }> {
  const client = redisClient(opts.queue);
  const concurrency = opts.concurrency ?? 1;
  // Scratch folders of workers that were killed go first.
  for (const name of readdirSync(os.tmpdir())) {
    const pid = Number(name.slice(SCRATCH_PREFIX.length).split('-')[0]);
    if (name.startsWith(SCRATCH_PREFIX) && Number.isInteger(pid) && !pidAlive(pid)) rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), `${SCRATCH_PREFIX}${process.pid}-`));
  const pool = new Piscina({ filename: pathToFileURL(workerFile()).href, minThreads: concurrency, maxThreads: concurrency, execArgv: WORKER_EXEC_ARGV });
  const lockDuration = opts.lockMs ?? 30_000;
  const worker = new Worker<QueueTask, QueueReply>(
    opts.name ?? QUEUE_NAME,
    async (job) => {
      try {
        const result = (await pool.run({ ...job.data, config: { ...job.data.config, scratch } } satisfies WorkerTask)) as ItemResult;
        opts.onItem?.(job.data.item.key, true);
        return { result };
      } catch (err) {
        opts.onItem?.(job.data.item.key, false);
        return { error: (err as Error).message };
      }
    },
    { connection: client, concurrency, lockDuration, stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)), maxStalledCount: 3, autorun: false },
  );
  await worker.waitUntilReady();
  void worker.run();
  return {
    close: async () => {
      await worker.close();
      await client.quit();
      await pool.destroy();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
