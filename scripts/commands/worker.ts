import type { CommandModule } from 'yargs';
import { UsageError } from '../../common/errors.js';
import { withOption } from './options.js';

interface WorkerArgs {
  queue: string;
  concurrency: number;
  'lock-seconds': number;
  progress?: boolean;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'Evaluate items from a shared queue (faultline run --queue) until stopped (SIGTERM or Ctrl-C: the items under way finish first)',
  builder: (y) => {
    let b = withOption(y, 'worker', 'queue', { type: 'string', demandOption: true, describe: 'redis://host:port of the queue' });
    b = withOption(b, 'worker', 'concurrency', { type: 'number', default: 1, describe: 'items evaluated at once (threads)' });
    b = withOption(b, 'worker', 'lock-seconds', { type: 'number', default: 30, describe: "how long an item's claim lasts unrenewed: a killed worker's item is retried after about this long" });
    return withOption(b, 'worker', 'progress', { type: 'boolean', describe: 'a line on stderr per item (default on)' }) as never;
  },
  handler: async (argv) => {
    if (!(Number.isInteger(argv.concurrency) && argv.concurrency >= 1)) throw new UsageError('--concurrency must be a positive integer');
    if (!(argv['lock-seconds'] >= 1)) throw new UsageError('--lock-seconds must be at least 1');
    const { startWorker } = await import('../../pipeline/queue.js');
    const quiet = argv.progress === false || Boolean(process.env.FAULTLINE_QUIET);
    const worker = await startWorker({
      queue: argv.queue,
      concurrency: argv.concurrency,
      lockMs: argv['lock-seconds'] * 1000,
      onItem: (key, ok) => quiet || process.stderr.write(`faultline worker: ${ok ? 'done' : 'failed'} ${key}\n`),
    });
    if (!quiet) process.stderr.write(`faultline worker: pulling items from ${argv.queue.replace(/\/\/[^@/]*@/, '//')} (pid ${process.pid})\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    await worker.close();
  },
};
