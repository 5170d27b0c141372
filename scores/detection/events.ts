/**
 * Event-level figures on the original points: an event (anomaly segment) is detected when any alarm
 * falls inside it; time to detect is the first such alarm's time minus the segment's first time.
 * A false alarm is a maximal run of consecutive alarmed points that touches no labelled point (an
 * operator is paged once per run); false alarms per day divide their count by the scored span.
 */
import { runsOf } from './confusion.js';

export interface EventDetail {
  series: string;
  start: number;
  end: number;
  firstAlarm?: number;
}

export interface EventCounts {
  events: EventDetail[];
  falseAlarms: number;
  spanMs: number;
}

export function eventCounts(id: string, timestamps: Float64Array, labels: Uint8Array, alarms: Uint8Array): EventCounts {
  const events: EventDetail[] = [];
  for (const [s, e] of runsOf(labels)) {
    const ev: EventDetail = { series: id, start: timestamps[s], end: timestamps[e] };
    for (let j = s; j <= e; j++) {
      if (alarms[j]) {
        ev.firstAlarm = timestamps[j];
        break;
      }
    }
    events.push(ev);
  }
  let falseAlarms = 0;
  for (const [s, e] of runsOf(alarms)) {
    let touches = false;
    for (let j = s; j <= e && !touches; j++) if (labels[j]) touches = true;
    if (!touches) falseAlarms++;
  }
  const n = timestamps.length;
  // The span covered: last minus first time plus one step (one point covers its own interval).
  const spanMs = n ? timestamps[n - 1] - timestamps[0] + (n > 1 ? (timestamps[n - 1] - timestamps[0]) / (n - 1) : 0) : 0;
  return { events, falseAlarms, spanMs };
}
