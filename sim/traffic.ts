import type { Model } from './model.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Daily profile: hourly values sit at hour midpoints, linear in between (no steps at the hour). */
function daily(profile: readonly number[], t: number): number {
  const x = (((t % DAY) + DAY) % DAY) / HOUR - 0.5;
  const i = Math.floor(x);
  const f = x - i;
  const a = profile[(i + 24) % 24]!;
  const b = profile[(i + 25) % 24]!;
  return a + (b - a) * f;
}

function isPayday(days: readonly number[], t: number): boolean {
  const d = new Date(t);
  const dom = d.getUTCDate();
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  return days.some((x) => x === dom || (x === -1 && dom === last));
}

/**
 * Mean arrival rate (transactions/s, scaled) of one transaction type at time t: base rate x daily
 * profile x day of week x payday x campaigns. Per-minute noise and traffic-surge faults are applied
 * by the engine on top.
 */
export function arrivalRate(m: Model, type: number, t: number): number {
  const tr = m.traffic;
  let r = m.txTypes[type]!.rate * m.scale * daily(tr.daily, t) * tr.weekly[(new Date(t).getUTCDay() + 6) % 7]!;
  if (tr.paydays && (!m.paydayTypes || m.paydayTypes.has(type)) && isPayday(tr.paydays.days, t)) r *= tr.paydays.multiplier;
  for (const c of m.campaigns) if (t >= c.start && t < c.end && (!c.types || c.types.has(type))) r *= c.multiplier;
  return r;
}
