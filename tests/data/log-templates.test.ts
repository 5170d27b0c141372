import { describe, expect, it } from 'vitest';
import { Drain, LogTemplateMiner, levelOf, prepareLogMessage, splitLogLine, structuredLevel } from '../../data/log-templates.js';
import { LOG_LEVEL } from '../../data/types.js';

const tok = (s: string) => s.split(' ');

describe('Drain (He et al., ICWS 2017), as the reference implementation behaves', () => {
  it('groups the paper\'s example: messages of one event with a variable number join one template', () => {
    const d = new Drain();
    const ids = ['Receive from node 4', 'Receive from node 5', 'Send file 23', 'Send file 7', 'Receive from node 19'].map((m) => d.add(tok(m)));
    expect(ids).toEqual([0, 0, 1, 1, 0]);
    expect(d.templateStrings()).toEqual(['Receive from node <*>', 'Send file <*>']);
  });

  it('never groups messages of different lengths', () => {
    const d = new Drain();
    expect([d.add(tok('a b c')), d.add(tok('a b c d'))]).toEqual([0, 1]);
  });

  it('joins a group at the similarity threshold and not below it', () => {
    // 'k a b c' vs 'k a x y': 2 of 4 positions agree.
    const at = new Drain({ similarity: 0.5 });
    expect([at.add(tok('k a b c')), at.add(tok('k a x y'))]).toEqual([0, 0]);
    expect(at.templateStrings()).toEqual(['k a <*> <*>']);
    const above = new Drain({ similarity: 0.6 });
    expect([above.add(tok('k a b c')), above.add(tok('k a x y'))]).toEqual([0, 1]);
  });

  it('does not count a wildcard as agreement, and breaks ties of similarity towards more wildcards', () => {
    const d = new Drain({ similarity: 0.5 });
    expect(d.add(tok('k a b c'))).toBe(0);
    expect(d.add(tok('k q r s'))).toBe(1); // 1 of 4 with group 0
    expect(d.add(tok('k q b s'))).toBe(1); // 3 of 4 with group 1 -> 'k q <*> s'
    // 'k z b s': group 0 agrees on k, b (0.5); group 1 on k, s (0.5) and has a wildcard: group 1.
    expect(d.add(tok('k z b s'))).toBe(1);
    expect(d.templateStrings()).toEqual(['k a b c', 'k <*> <*> s']);
  });

  it('routes a leading token with a digit down the wildcard branch, and new tokens there once a node is full', () => {
    const d = new Drain({ similarity: 0.5 });
    expect([d.add(tok('7 apples sold')), d.add(tok('8 apples sold'))]).toEqual([0, 0]);
    const named = new Drain({ similarity: 0.5, numericTokensToWildcard: false });
    expect([named.add(tok('7 apples sold')), named.add(tok('8 apples sold'))]).toEqual([0, 1]);
    // maxChildren 3: 'a' and 'b' get nodes, the third distinct token opens '<*>', which 'd' shares.
    const full = new Drain({ similarity: 0.5, maxChildren: 3 });
    expect(['a x', 'b x', 'c x', 'd x'].map((m) => full.add(tok(m)))).toEqual([0, 1, 2, 2]);
    expect(full.templateStrings()[2]).toBe('<*> x');
  });

  it('routes by depth - 3 leading tokens: with depth 5 two tokens must match before similarity is tried', () => {
    const d = new Drain({ depth: 5, similarity: 0.3 });
    expect([d.add(tok('open file a b')), d.add(tok('open dir a b')), d.add(tok('open file c d'))]).toEqual([0, 1, 0]);
  });

  it('rejects settings outside their range', () => {
    expect(() => new Drain({ depth: 2 })).toThrow(/depth/);
    expect(() => new Drain({ similarity: 1.5 })).toThrow(/similarity/);
  });
});

describe('log message preparation', () => {
  it('takes off a leading time and level, unwraps a container JSON line and masks variables', () => {
    const raw = JSON.stringify({
      log: '17:25:05.372 INFO  v.c.VerifyCodeController#54 TraceID: 373de7115be9033c8e9c7db5a10e6b13 SpanID: b794bb79b21b55b7 [verifyCode][verify result: false] id=4d2a46c7-71cb-4cf1-b5bb-b68406d9da6f took 12 ms from 10.0.0.7:8080\n',
      stream: 'stdout',
    });
    const p = prepareLogMessage(raw);
    expect(p.level).toBe(LOG_LEVEL.info);
    expect(p.tokens.join(' ')).toBe(
      'v.c.VerifyCodeController#54 TraceID: <hex> SpanID: <hex> [verifyCode][verify result: false] id=<uuid> took <num> ms from <ip>',
    );
  });

  it('reads level words in their usual spellings', () => {
    expect([levelOf('WARN'), levelOf('[warning]'), levelOf('Error:'), levelOf('FATAL'), levelOf('chatty')]).toEqual([
      LOG_LEVEL.warn,
      LOG_LEVEL.warn,
      LOG_LEVEL.error,
      LOG_LEVEL.fatal,
      LOG_LEVEL.unknown,
    ]);
    expect(prepareLogMessage('2024-01-02T03:04:05Z ERROR db down').level).toBe(LOG_LEVEL.error);
    expect(prepareLogMessage('db down, level unknown').level).toBe(LOG_LEVEL.unknown);
  });

  it('reads structured loggers\' lines, also inside a container runtime\'s, with the level they state', () => {
    // logrus as Online Boutique configures it (severity, message), wrapped by the container runtime.
    const logrus = JSON.stringify({ 'http.req.id': 'f3c1e8a2-0d7b-4c59-9a61-2b0e5a3c9d11', message: 'request error: rpc error: code = Unavailable', severity: 'error', timestamp: '2022-08-22T03:05:11.123Z' });
    const wrapped = JSON.stringify({ log: `${logrus}\n`, stream: 'stdout', time: '2022-08-22T03:05:11.124Z' });
    expect(splitLogLine(wrapped)).toEqual({ level: LOG_LEVEL.error, message: 'request error: rpc error: code = Unavailable' });
    expect(prepareLogMessage(wrapped).tokens).toEqual(['request', 'error:', 'rpc', 'error:', 'code', '=', 'Unavailable']);
    // zap and pino/bunyan; syslog and GELF numbers; Serilog's words; a level the message names when the fields do not.
    expect(splitLogLine('{"level":"warn","ts":1661137511.5,"msg":"slow call"}')).toEqual({ level: LOG_LEVEL.warn, message: 'slow call' });
    expect(splitLogLine('{"level":50,"time":1661137511500,"msg":"db down"}').level).toBe(LOG_LEVEL.error);
    expect(splitLogLine('{"level":30,"msg":"ok"}').level).toBe(LOG_LEVEL.info);
    expect(splitLogLine('{"level":3,"short_message":"x","message":"db down"}').level).toBe(LOG_LEVEL.error);
    expect(splitLogLine('{"@l":"Information","@m":"x","message":"started"}').level).toBe(LOG_LEVEL.info);
    expect(splitLogLine('{"severity":"EMERGENCY","message":"disk"}').level).toBe(LOG_LEVEL.fatal);
    expect(splitLogLine('{"level":35,"msg":"ERROR custom"}')).toEqual({ level: LOG_LEVEL.error, message: 'custom' });
    expect(splitLogLine('{"stream":"stderr","log":"plain WARN text"}')).toEqual({ level: LOG_LEVEL.warn, message: 'plain text' });
    expect(splitLogLine('{"stream":"stderr","log":"plain text"}').level).toBe(LOG_LEVEL.unknown);
    // Not a log object: mined as written.
    for (const text of ['{"a":1}', '[1,2]', '{broken', '{"msg":7}']) expect(splitLogLine(text)).toEqual({ level: LOG_LEVEL.unknown, message: text });
    expect(structuredLevel(true)).toBe(LOG_LEVEL.unknown);
    expect(structuredLevel(2.5)).toBe(LOG_LEVEL.unknown);
    expect(structuredLevel(70)).toBe(LOG_LEVEL.unknown);
  });

  it('splits a line into level and message, the rest of the text as written', () => {
    const cell =
      '{"log":"16:42:22.382 INFO  t.s.TravelServiceImpl#532 TraceID: ffc8 SpanID: 439b [getRouteByRouteId][Get Route By Id]\\n","stream":"stdout","time":"2023-01-29T08:42:22.383150913Z"}';
    expect(splitLogLine(cell)).toEqual({ level: LOG_LEVEL.info, message: 't.s.TravelServiceImpl#532 TraceID: ffc8 SpanID: 439b [getRouteByRouteId][Get Route By Id]\n' });
    expect(splitLogLine('{"log":"\\tat com.example.Foo(Foo.java:12)\\n"}')).toEqual({ level: LOG_LEVEL.unknown, message: '\tat com.example.Foo(Foo.java:12)\n' });
    // A level word after a thread name goes; the spacing around what stays is kept.
    expect(splitLogLine('2024-01-02 03:04:05,123 [main]  WARN   c.Pool  -  slow')).toEqual({ level: LOG_LEVEL.warn, message: '[main]  c.Pool  -  slow' });
    expect(splitLogLine('03:04:05 ERROR')).toEqual({ level: LOG_LEVEL.error, message: '' });
    expect(splitLogLine('plain text')).toEqual({ level: LOG_LEVEL.unknown, message: 'plain text' });
    // What a split line mines to is what the line mines to: an anonymised copy mines alike.
    for (const raw of [cell, '2024-01-02 03:04:05,123 [main]  WARN   c.Pool  -  slow 42', 'INFO a b c']) {
      expect(prepareLogMessage(splitLogLine(raw).message).tokens).toEqual(prepareLogMessage(raw).tokens);
    }
  });

  it('keeps names that hold digits (a logger and its line, a train number)', () => {
    expect(prepareLogMessage('o.s.OrderServiceImpl#361 train Z1234 seat 7').tokens).toEqual(['o.s.OrderServiceImpl#361', 'train', 'Z1234', 'seat', '<num>']);
  });

  it('mines lines of one code location into one template and keeps locations apart', () => {
    const m = new LogTemplateMiner();
    const a = m.mine('INFO c.s.Impl#31 FIND CONTACTS BY ID: 4d2a46c7-71cb-4cf1-b5bb-b68406d9da6f').template;
    const b = m.mine('INFO c.s.Impl#31 FIND CONTACTS BY ID: 5e3b57d8-82dc-4cf1-b5bb-b68406d9da6f').template;
    const c = m.mine('INFO c.s.Impl#34 FIND CONTACTS BY ID: 5e3b57d8-82dc-4cf1-b5bb-b68406d9da6f').template;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(m.templates()[a]).toBe('c.s.Impl#31 FIND CONTACTS BY ID: <uuid>');
  });
});
