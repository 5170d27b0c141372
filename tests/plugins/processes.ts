/** Test helpers: Node scripts written as plugins, and a look at which of their processes still live. */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A plugin script in its own folder. `body` runs after a prelude that records the process id in
 * `pids` (a line `leader <pid>`) and defines `send(message)`, `onMessage(handler)` (one parsed
 * message per input line), `sleep(ms)`, `spawnChild()` (a grandchild sharing stdout and stderr,
 * recorded as `child <pid>`), and correct answers: `detection(series)` (protocol 2) and
 * `ranking(rankMessage)`. Returns the command line and the pid file.
 */
export function nodePlugin(body: string): { command: string; pids: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fl-fuzz-'));
  const pids = join(dir, 'pids');
  writeFileSync(pids, '');
  const prelude = `
const fs = require('node:fs');
const { spawn } = require('node:child_process');
fs.appendFileSync(${JSON.stringify(pids)}, 'leader ' + process.pid + '\\n');
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const detection = (s) => ({ type: 'detection', id: s.id, scores: s.values.map((v) => (v === null ? null : Math.abs(v - 100))), alarms: s.values.map(() => 0) });
const ranking = (m) => ({ type: 'ranking', id: m.incident.id, candidates: [{ service: 'ledger', score: 1 }, { service: 'account', score: 0.5 }] });
const onMessage = (handler) => {
  let buffered = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => {
    buffered += d;
    for (let nl = buffered.indexOf('\\n'); nl >= 0; nl = buffered.indexOf('\\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim()) handler(JSON.parse(line));
    }
  });
};
const spawnChild = () => {
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
  fs.appendFileSync(${JSON.stringify(pids)}, 'child ' + c.pid + '\\n');
  return c;
};
`;
  const file = join(dir, 'plugin.cjs');
  writeFileSync(file, prelude + body);
  return { command: `cmd:${process.execPath} ${file}`, pids, dir };
}

/** A JS module plugin file with `source` as its text. */
export function modulePlugin(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fl-fuzz-'));
  const file = join(dir, 'plugin.mjs');
  writeFileSync(file, source);
  return file;
}

export function recordedPids(file: string): { leaders: number[]; all: number[] } {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const pid = (l: string) => Number(l.split(' ')[1]);
  return { leaders: lines.filter((l) => l.startsWith('leader')).map(pid), all: lines.map(pid) };
}

/**
 * Processes still alive (not zombies) that are one of `pids` or in the process group of one of
 * `groups`: read from /proc (Linux).
 */
export function liveProcesses(pids: number[], groups: number[]): number[] {
  const want = new Set(pids);
  const wantGroups = new Set(groups);
  const live: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' || state === 'X') continue;
    if (want.has(Number(name)) || wantGroups.has(Number(pgrp))) live.push(Number(name));
  }
  return live;
}

/** Appends one row of the failure matrix to `file` (JSON lines). */
export function recordRow(file: string | undefined, row: Record<string, unknown>): void {
  if (file) appendFileSync(file, JSON.stringify(row) + '\n');
}
