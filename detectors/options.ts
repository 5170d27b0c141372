/** Reading detector options (from a suite file or `--detector name:key=value`) with clear errors. */

export function numberOption(
  detector: string,
  options: Record<string, unknown> | undefined,
  key: string,
  fallback: number,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = options?.[key];
  if (raw === undefined) return fallback;
  const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`detector ${detector}: option ${key} must be a number, got ${JSON.stringify(raw)}`);
  }
  if (range.integer && !Number.isInteger(v)) throw new Error(`detector ${detector}: option ${key} must be an integer, got ${v}`);
  if (range.min !== undefined && v < range.min) throw new Error(`detector ${detector}: option ${key} must be >= ${range.min}, got ${v}`);
  if (range.max !== undefined && v > range.max) throw new Error(`detector ${detector}: option ${key} must be <= ${range.max}, got ${v}`);
  return v;
}

export function optionalNumberOption(
  detector: string,
  options: Record<string, unknown> | undefined,
  key: string,
): number | undefined {
  return options?.[key] === undefined ? undefined : numberOption(detector, options, key, NaN);
}
