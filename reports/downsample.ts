/**
 * Min-max downsampling for charts: each bucket keeps its lowest and highest point in time order,
 * so spikes and dips (the anomalies a reader looks for) survive while the point count stays near
 * 2x the chart's pixel width. NaN points are dropped unless every point of a bucket is NaN (a gap).
 */
export function downsampleMinMax(
  timestamps: Float64Array,
  values: Float64Array,
  maxPoints: number,
): { timestamps: number[]; values: (number | null)[] } {
  const n = timestamps.length;
  const outT: number[] = [];
  const outV: (number | null)[] = [];
  const push = (i: number) => {
    outT.push(timestamps[i]!);
    outV.push(Number.isFinite(values[i]!) ? values[i]! : null);
  };
  if (n <= maxPoints) {
    for (let i = 0; i < n; i++) push(i);
    return { timestamps: outT, values: outV };
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = from; i < to; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v)) continue;
      if (lo < 0 || v < values[lo]!) lo = i;
      if (hi < 0 || v > values[hi]!) hi = i;
    }
    if (lo < 0) push(from);
    else if (lo === hi) push(lo);
    else {
      push(Math.min(lo, hi));
      push(Math.max(lo, hi));
    }
  }
  return { timestamps: outT, values: outV };
}
