import type { Bench, TaskResultCompleted } from 'tinybench';

/**
 * One printable row per benchmark task: `row` formats a completed task's result; a task that did
 * not complete (errored, aborted) gets a row saying so instead of figures that would mislead.
 */
export function benchRows(bench: Bench, row: (name: string, result: TaskResultCompleted) => Record<string, string>): Record<string, string>[] {
  return bench.tasks.map((task): Record<string, string> => {
    const r = task.result;
    if (r.state !== 'completed') return { task: task.name, state: r.state };
    return { task: task.name, ...row(task.name, r) };
  });
}
