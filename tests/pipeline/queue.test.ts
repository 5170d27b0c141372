/**
 * The shared queue against a real Redis started here on a free loopback port: a run puts its items
 * on the queue, a `faultline worker` is SIGKILLed while it evaluates an item, a second worker
 * picks the item up once the dead worker's lock has run out, and the run's result equals a direct
 * run's. Needs Debian's redis-server (.ci/run installs it) and the compiled code (dist/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME, redisClient } from '../../pipeline/queue.js';
import { run } from '../../pipeline/run.js';
import { deterministicFile } from '../measured.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUITE = fileURLToPath(new URL('./suites/deploy.yaml', import.meta.url));
const REDIS = '/usr/bin/redis-server';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-queue-test-'));
const children: ChildProcess[] = [];
if (!existsSync(REDIS)) console.warn(`SKIPPED: the queue test needs ${REDIS} (apt-get install redis-server)`);

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let url = '';

beforeAll(async () => {
  if (!existsSync(REDIS)) return;
  const port = await freePort();
  const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  children.push(redis);
  for (let k = 0; k < 100 && !(await ping(port)); k++) await sleep(100);
  url = `redis://127.0.0.1:${port}`;
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function worker(): { child: ChildProcess; log: () => string } {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli/faultline.js'), 'worker', '--queue', url, '--lock-seconds', '2'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return { child, log: () => log };
}


describe.skipIf(!existsSync(REDIS))('a run on the shared queue', () => {
  it('retries the item of a worker killed mid-item and gives the direct run result', async () => {
    const direct = path.join(tmp, 'direct');
    const queued = path.join(tmp, 'queued');
    await run({ suite: SUITE, out: direct, workers: 1, progress: false });

    const running = run({ suite: SUITE, out: queued, queue: url, progress: false });
    const first = worker();
    // Wait until the first worker holds an item, let it compute a moment, then kill it.
    const client = redisClient(url);
    const queue = new Queue(QUEUE_NAME, { connection: client });
    try {
      for (let k = 0; k < 600 && (await queue.getActiveCount()) === 0; k++) await sleep(50);
      expect(await queue.getActiveCount()).toBe(1);
      await sleep(300);
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      expect(first.log()).not.toMatch(/done /); // it finished nothing: the item it held is lost with it
      const second = worker();
      const res = await running;
      expect(res.items).toBe(2);
      // The second worker did both: the one it found waiting and the one the dead worker held.
      expect(second.log().match(/done /g)).toHaveLength(2);
      expect(await queue.getJobCounts('waiting', 'active', 'completed', 'failed')).toEqual({ waiting: 0, active: 0, completed: 0, failed: 0 });
      second.child.kill('SIGTERM');
    } finally {
      await queue.close();
      await client.quit();
    }
    expect(deterministicFile(path.join(queued, 'results.json'))).toEqual(deterministicFile(path.join(direct, 'results.json')));
    expect(deterministicFile(path.join(queued, 'summary.json'))).toEqual(deterministicFile(path.join(direct, 'summary.json')));
  }, 300_000);
});
