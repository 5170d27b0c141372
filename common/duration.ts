const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parse a duration such as `6h`, `90m`, `1d`, `1h30m`, `45s` or `250ms` into milliseconds; a
 * number is taken as milliseconds already. Throws with the offending text.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`invalid duration ${input}: expected a non-negative number of milliseconds`);
    return input;
  }
  const text = input.trim();
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;
  let total = 0;
  let at = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = re.lastIndex;
    while (text[at] === ' ') at++;
    re.lastIndex = at;
  }
  if (at === 0 || at !== text.length) throw new Error(`invalid duration '${input}': expected e.g. 90m, 6h, 1d or 1h30m`);
  return total;
}

/** Whole milliseconds as a duration parseDuration reads back exactly, in the largest unit that divides them (90000 -> `90s`). */
export function formatDuration(ms: number): string {
  const whole = Math.round(ms);
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) if (whole > 0 && whole % UNIT_MS[unit]! === 0) return `${whole / UNIT_MS[unit]!}${unit}`;
  return `${whole}ms`;
}
