import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pseudonymiser } from '../../anonymise/pseudonymise.js';
import { anonymiseMessageBatch, anonymiseSeriesId } from '../../anonymise/tables.js';
import { identifierPieces } from '../../anonymise/text.js';
import { ROUTE_WORDS, TEXT_WORDS } from '../../anonymise/vocabulary.js';
import type { MessageBatch } from '../../sim/formats.js';
import { testPseudonymiser } from './keys.js';

let key: { a: Pseudonymiser; again: Pseudonymiser; other: Pseudonymiser };
beforeAll(async () => {
  key = { a: await testPseudonymiser('unit'), again: await testPseudonymiser('unit'), other: await testPseudonymiser('other') };
});
const fresh = () => testPseudonymiser('unit');

describe('pseudonyms', () => {
  it('are deterministic per key and kind, differ across keys and kinds, keep the empty value', () => {
    const { a, again, other } = key;
    expect(a.map('service', 'accounts')).toMatch(/^svc-[a-z]{12}$/);
    expect(a.map('service', 'accounts')).toBe(again.map('service', 'accounts'));
    expect(a.map('service', 'accounts')).not.toBe(other.map('service', 'accounts'));
    expect(a.map('service', 'accounts').slice(4)).not.toBe(a.map('topic', 'accounts').slice(6));
    expect(a.map('instance', '')).toBe('');
  });

  it('have a digit exactly when the original has one (log template miners treat those as variables)', () => {
    const { a } = key;
    expect(a.map('service', 'ledger-svc')).toMatch(/^svc-[a-z]{12}$/);
    expect(a.map('instance', 'ledger-svc-02')).toMatch(/^inst-\d[0-9a-f]{11}$/);
    expect(a.map('bizSeqNo', 'B000123')).toMatch(/^biz-\d[0-9a-f]{15}$/);
    expect(a.map('word', 'Route')).toMatch(/^w-[a-z]{16}$/);
    expect(a.map('operation', 'POST /pay')).toMatch(/^op-[a-z]{16}$/);
  });
});

describe('free text', () => {
  it('loses every identifier, date and unknown word; keeps generic words, short numbers and punctuation', async () => {
    const p = await fresh();
    const svc = p.map('service', 'ts-order-service');
    const text =
      'ERROR calling ts-order-service at 10.1.2.3 (fe80::1) for alice@bank.com card 4111 1111 1111 1111 acct=12345678 ' +
      'order f3d4d4ef-693b-4456-8eed-59c0d717dd08 on 2023-01-29 at 16:42:22, Alice Example, took 42 ms: status 500 of https://pay.example/x?u=7';
    const out = p.scrubText(text, 'x');
    for (const original of ['ts-order-service', '10.1.2.3', 'fe80::1', 'alice', 'Alice', 'Example', '4111', '12345678', 'f3d4d4ef', '2023', '16:42', 'pay.example', 'calling', 'order']) {
      expect(out).not.toContain(original);
    }
    expect(out).toContain(svc);
    expect(out).toContain(p.map('ip', '10.1.2.3'));
    expect(out).toContain(p.map('card', '4111111111111111'));
    expect(out).toContain(`${p.map('word', 'acct')}=${p.map('number', '12345678')}`);
    expect(out).toContain(`on <date> at <time>,`);
    expect(out).toMatch(/^ERROR w-[a-z]{16} svc-/);
    expect(out).toContain('took 42 ms: status 500 of url-');
    // The same text gives the same scrubbed text: templates stay templates.
    expect(p.scrubText(text, 'x')).toBe(out);
    expect(p.report().replaced.x).toBe(2);
  });

  it('keeps a listed word only while no known name has it as a piece, or holds a 4-letter piece inside it', async () => {
    const p = await fresh();
    expect(p.scrubText('query order by id', 'x')).toBe(`query ${p.map('word', 'order')} by id`);
    expect(p.scrubText('filtering handler ok', 'x')).toBe('filtering handler ok');
    p.map('service', 'query-engine');
    p.map('subsystem', 'filter');
    const out = p.scrubText('query order by id; filtering handler ok', 'x');
    expect(out).toBe(`${p.map('word', 'query')} ${p.map('word', 'order')} by id; ${p.map('word', 'filtering')} handler ok`);
    // Compound words: kept only when every piece is kept.
    expect(p.scrubText('findByName getOrderById NOT_FOUND SYS_ENGINE_DOWN', 'y')).toBe(`findByName ${p.map('word', 'getOrderById')} NOT_FOUND ${p.map('word', 'SYS_ENGINE_DOWN')}`);
    expect(p.report().keptWords).toEqual({ x: ['by', 'filtering', 'handler', 'id', 'ok', 'query'], y: ['by', 'find', 'found', 'name', 'not'] });
  });

  it('never lists a word that commonly names services; lists route words within the text words, as documented', () => {
    for (const w of ['service', 'svc', 'gateway', 'admin', 'auth', 'user', 'account', 'order', 'payment', 'config', 'info', 'channel']) expect(TEXT_WORDS).not.toContain(w);
    for (const w of ROUTE_WORDS) expect(TEXT_WORDS).toContain(w);
    for (const w of TEXT_WORDS) expect(identifierPieces(w)).toEqual([w]);
    expect(new Set(TEXT_WORDS).size).toBe(TEXT_WORDS.length);
    const docs = fs.readFileSync(path.resolve(__dirname, '../../docs/replay.md'), 'utf8');
    expect(docs).toContain(`\n${ROUTE_WORDS.join(', ')}\n`);
    expect(docs).toContain(`\n${TEXT_WORDS.filter((w) => !ROUTE_WORDS.includes(w)).join(', ')}\n`);
  });
});

describe('operations', () => {
  it('get one pseudonym each by default, and keep their route or method shape with keep-shape', async () => {
    const p = await fresh();
    p.map('service', 'ts-travel-service');
    const op = p.operation('/api/v1/travelservice/trips/left', 'pseudonymise', 'spans.operation');
    expect(op).toMatch(/^op-\d[0-9a-f]{15}$/);
    expect(p.operation('/api/v1/travelservice/trips/left', 'pseudonymise', 'spans.operation')).toBe(op);
    const w = (s: string) => p.map('word', s);
    expect(p.operation('/api/v1/travelservice/trips/left', 'keep-shape', 'spans.operation')).toBe(`/api/v1/${w('travelservice')}/${w('trips')}/${w('left')}`);
    expect(p.operation('/api/v1/travelservice/routes/{tripId}', 'keep-shape', 'spans.operation')).toBe(`/api/v1/${w('travelservice')}/${w('routes')}/{${w('tripId')}}`);
    expect(p.operation('OrderRepository.findByTravelDateAndTrainNumber', 'keep-shape', 'spans.operation')).toBe(`${w('OrderRepository')}.${w('findByTravelDateAndTrainNumber')}`);
    expect(p.operation('HTTP GET /ts-travel-service/health', 'keep-shape', 'spans.operation')).toBe(`HTTP GET /${p.map('service', 'ts-travel-service')}/health`);
    expect(p.operation('Session.find', 'keep-shape', 'spans.operation')).toBe('Session.find');
    // Log words are not route words: a route keeps less than a log line.
    expect(p.operation('/api/v1/cache/timeout', 'keep-shape', 'spans.operation')).toBe(`/api/v1/${w('cache')}/${w('timeout')}`);
  });
});

describe('tables', () => {
  it('pseudonymise the name part of scope:name:kpi ids (transaction types as in messages) and whole other ids', async () => {
    const p = await fresh();
    expect(anonymiseSeriesId('service:accounts:avgLatency', p)).toBe(`service:${p.map('service', 'accounts')}:avgLatency`);
    expect(anonymiseSeriesId('txType:transfer:volume', p)).toBe(`txType:${p.map('txType', 'transfer')}:volume`);
    expect(anonymiseSeriesId('realKnownCause/nyc_taxi', p)).toBe(p.map('series', 'realKnownCause/nyc_taxi'));
  });

  it('rewrite a message batch column-wise, keeping codes and counting rows', async () => {
    const p = await fresh();
    const dict = (values: string[], codes: number[]) => ({ values, codes: Int32Array.from(codes) });
    const empty = dict([''], [0, 0]);
    const batch: MessageBatch = {
      length: 2,
      bizSeqNo: ['B1', 'B1'],
      uniqueId: ['U1', 'U1'],
      msgType: dict(['request', 'reply'], [0, 1]),
      topic: dict(['T.accounts'], [0, 0]),
      txType: dict(['transfer'], [0, 0]),
      senderSubsystem: empty,
      senderService: dict(['gateway', 'accounts'], [0, 1]),
      senderInstance: empty,
      senderIp: dict(['10.0.0.1', '10.0.0.2'], [0, 1]),
      senderDcn: empty,
      receiverSubsystem: empty,
      receiverService: dict(['accounts', 'gateway'], [0, 1]),
      receiverInstance: empty,
      receiverIp: empty,
      receiverDcn: empty,
      logPoint: dict(['REQ_CLIENT_MESH', 'RSP_MESH_CLIENT'], [0, 1]),
      sendTime: Float64Array.from([1000, 2000]),
      recvTime: Float64Array.from([1001, 2001]),
      ttl: Int32Array.from([3000, 3000]),
      retCode: dict(['', 'ACCOUNTS_LOCKED', 'TIMEOUT'], [0, 1]),
      retClass: dict(['', 'business'], [0, 1]),
    };
    const out = anonymiseMessageBatch(batch, p, 60_000);
    expect(out.senderService.values).toEqual([p.map('service', 'gateway'), p.map('service', 'accounts')]);
    expect(out.senderService.codes).toBe(batch.senderService.codes);
    expect(out.bizSeqNo).toEqual([p.map('bizSeqNo', 'B1'), p.map('bizSeqNo', 'B1')]);
    expect(out.logPoint).toBe(batch.logPoint);
    expect(out.txType.values).toEqual([p.map('txType', 'transfer')]);
    expect(out.retCode.values).toEqual(['', p.map('word', 'ACCOUNTS_LOCKED'), 'TIMEOUT']);
    expect([...out.sendTime]).toEqual([61_000, 62_000]);
    expect(batch.sendTime[0]).toBe(1000);
    const { replaced, distinct } = p.report();
    expect(replaced['messages.senderService']).toBe(2);
    expect(replaced['messages.bizSeqNo']).toBe(2);
    expect(replaced['messages.senderInstance']).toBeUndefined();
    expect(distinct.service).toBe(2);
  });
});
