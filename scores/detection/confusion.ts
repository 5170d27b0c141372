/** Precision, recall and F1 from counts, with undefined cases as NaN (reported as null in JSON). */
export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export function precisionRecallF1(c: Counts): { precision: number; recall: number; f1: number } {
  return {
    precision: c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : NaN,
    recall: c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : NaN,
    // 2TP / (2TP + FP + FN): equal to the harmonic mean where both exist, 0 when TP = 0 but errors exist.
    f1: c.tp + c.fp + c.fn > 0 ? (2 * c.tp) / (2 * c.tp + c.fp + c.fn) : NaN,
  };
}

export function addCounts(a: Counts, b: Counts): Counts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn };
}

/** Maximal runs of 1s as inclusive [start, end] index pairs. */
export function runsOf(flags: Uint8Array): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  const n = flags.length;
  let i = 0;
  while (i < n) {
    if (!flags[i]) {
      i++;
      continue;
    }
    let e = i;
    while (e + 1 < n && flags[e + 1]) e++;
    runs.push([i, e]);
    i = e + 1;
  }
  return runs;
}
