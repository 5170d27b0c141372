/**
 * Instants written as text, shifted without losing precision: the sub-millisecond digits of an
 * ISO 8601 time or a Unix nanosecond count are carried over as digits, never through a float.
 */

import { timeOfCell, unitByMagnitude, type TimeUnitRule } from '../data/telemetry-layouts.js';

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/** `ms` as ISO 8601 UTC, then the sub-millisecond digits; no fraction when the input had none and none is needed. */
function isoOf(ms: number, subMs: string, hadFraction: boolean): string {
  const iso = new Date(ms).toISOString();
  if (!hadFraction && ms % 1000 === 0) return `${iso.slice(0, 19)}Z`;
  return `${iso.slice(0, 23)}${subMs}Z`;
}

/** Shift an ISO 8601 time (a zone-less one is UTC) by whole `shiftMs`; written in UTC. null if not ISO. */
export function shiftIsoText(text: string, shiftMs: number): string | null {
  const m = ISO_RE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone = 'Z'] = m;
  let offsetMin = 0;
  if (!/^(z|utc)$/i.test(zone)) {
    const z = zone.replace(':', '');
    offsetMin = (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5) || '0'));
  }
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, Number(fraction.slice(0, 3).padEnd(3, '0'))) - offsetMin * 60_000;
  if (!Number.isFinite(ms)) return null;
  return isoOf(ms + shiftMs, fraction.slice(3), fraction !== '');
}

/** Shift Unix milliseconds written as a number (fraction kept as written). null if not one. */
export function shiftUnixMsText(text: string, shiftMs: number): string | null {
  const m = /^(\d+)(\.\d+)?$/.exec(text.trim());
  if (!m) return null;
  return `${Number(m[1]) + shiftMs}${m[2] ?? ''}`;
}

/** Unix microseconds or nanoseconds (as text: beyond 2^53) to shifted ISO 8601 with every fraction digit. */
function unixFineToIso(text: string, unit: 'us' | 'ns', shiftMs: number): string | null {
  const s = text.trim();
  const below = unit === 'us' ? 3 : 6;
  if (!/^\d+$/.test(s) || s.length <= below) return null;
  return isoOf(Number(s.slice(0, -below)) + shiftMs, s.slice(-below), true);
}

/** Unix seconds (integer or with a fraction) to shifted ISO 8601. */
export function unixSecondsToIso(text: string, shiftMs: number): string | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return null;
  const fraction = m[2] ?? '';
  return isoOf(Number(m[1]) * 1000 + Number(fraction.slice(0, 3).padEnd(3, '0')) + shiftMs, fraction.slice(3), fraction !== '');
}

/**
 * A time cell of a telemetry layout, read as the readers read it (data/telemetry-layouts.ts
 * timeOfCell: ISO 8601, or a number in the layout's unit or told by magnitude), shifted: ISO 8601
 * and Unix ms in the form they were written, other units as ISO 8601 with every digit. null when
 * the readers would not take it.
 */
export function shiftTimeCell(text: string, unit: TimeUnitRule, shiftMs: number): string | null {
  const ms = timeOfCell(text, unit);
  if (!Number.isFinite(ms)) return null;
  const n = Number(text.trim());
  if (Number.isNaN(n)) return shiftIsoText(text, shiftMs) ?? isoOf(ms + shiftMs, '', true);
  const u = unit === 'magnitude' ? unitByMagnitude(n) : unit;
  const shifted = u === 'ms' ? shiftUnixMsText(text, shiftMs) : u === 's' ? unixSecondsToIso(text, shiftMs) : unixFineToIso(text, u, shiftMs);
  return shifted ?? isoOf(ms + shiftMs, '', true);
}
