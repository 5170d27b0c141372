import { describe, expect, it } from 'vitest';
import { parseNezhaLog, recogniseLogLayout, recogniseMetricLayout } from '../../anonymise/layouts.js';
import { shiftIsoText, shiftTimeText, unixNsToIso, unixSecondsToIso } from '../../anonymise/time-text.js';

const DAY = 86_400_000;

describe('times written as text', () => {
  it('shift by whole milliseconds and keep every digit of precision', () => {
    expect(shiftIsoText('2023-01-29T08:42:22.383150913Z', -7 * DAY)).toBe('2023-01-22T08:42:22.383150913Z');
    expect(shiftIsoText('2023-01-29 16:42:22.5+08:00', 0)).toBe('2023-01-29T08:42:22.500Z');
    expect(shiftIsoText('2023-01-29T08:42:22', DAY)).toBe('2023-01-30T08:42:22Z');
    expect(shiftIsoText('29/01/2023', 0)).toBeNull();
    expect(unixNsToIso('1674981742383150913', 0)).toBe('2023-01-29T08:42:22.383150913Z');
    expect(unixSecondsToIso('1674981670', -DAY)).toBe('2023-01-28T08:41:10Z');
    expect(shiftTimeText('1674981742383.25', 1000)).toBe('1674981743383.25');
    expect(shiftTimeText('soon', 0)).toBeNull();
  });
});

describe('layouts', () => {
  it("recognise faultline's and Nezha's log headers, naming the columns they drop", () => {
    const ours = recogniseLogLayout(['time', 'service', 'instance', 'trace_id', 'span_id', 'level', 'message', 'host']);
    expect(ours).toMatchObject({ name: 'faultline', columns: { time: 0, message: 6 }, dropped: ['host'] });
    const nezha = recogniseLogLayout(['Timestamp', 'TimeUnixNano', 'Node', 'PodName', 'Container', 'TraceID', 'SpanID', 'Log']);
    expect(nezha).toMatchObject({ name: 'nezha', timeNs: 1, pod: 3, log: 7, dropped: ['Node', 'Container'] });
    expect(recogniseLogLayout(['ts', 'msg'])).toBeNull();
  });

  it("recognise faultline's and Nezha's metric headers (per pod and per service)", () => {
    expect(recogniseMetricLayout(['time', 'service', 'instance', 'cpu', 'mem'])).toMatchObject({ name: 'faultline', metrics: [3, 4] });
    expect(recogniseMetricLayout(['Time', 'TimeStamp', 'PodName', 'CpuUsage(m)', 'PodSuccessRate(%)'])).toMatchObject({ name: 'nezha-pod', timestamp: 1, pod: 2, metrics: [3, 4], dropped: ['Time'] });
    expect(recogniseMetricLayout(['Time', 'TimeStamp', 'ServiceName', 'SuccessRate(%)'])).toMatchObject({ name: 'nezha-service', service: 2, metrics: [3] });
    expect(recogniseMetricLayout(['when', 'pod', 'cpu'])).toBeNull();
  });

  it("split Nezha's runtime JSON into level and message, without the local time or repeated ids", () => {
    const cell =
      '{"log":"16:42:22.382 INFO  t.s.TravelServiceImpl#532 TraceID: ffc8ca7e4c8f06c75142c880d5595d96 SpanID: 439bc949a9eeb0cc [getRouteByRouteId][Get Route By Id]\\n","stream":"stdout","time":"2023-01-29T08:42:22.383150913Z"}';
    expect(parseNezhaLog(cell)).toEqual({ level: 'INFO', message: 't.s.TravelServiceImpl#532 [getRouteByRouteId][Get Route By Id]' });
    expect(parseNezhaLog('{"log":"\\tat com.example.Foo(Foo.java:12)\\n"}')).toEqual({ level: '', message: '\tat com.example.Foo(Foo.java:12)' });
    expect(parseNezhaLog('plain text')).toEqual({ level: '', message: 'plain text' });
  });
});
