import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pseudonymiser, MIN_KEY_BYTES } from '../../anonymise/pseudonymise.js';
import { anonymiseMessageBatch, anonymiseSeriesId } from '../../anonymise/tables.js';
import type { MessageBatch } from '../../sim/formats.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-pseudonym-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const KEY = Buffer.from('k'.repeat(MIN_KEY_BYTES));

describe('Pseudonymiser', () => {
  it('refuses a missing, unreadable or short key, and ignores a trailing newline', async () => {
    await expect(Pseudonymiser.fromKeyFile(undefined)).rejects.toThrow(/without a key/);
    await expect(Pseudonymiser.fromKeyFile(path.join(dir, 'nope'))).rejects.toThrow(/cannot read key file: ENOENT/);
    const short = path.join(dir, 'short');
    fs.writeFileSync(short, 'secret\n');
    await expect(Pseudonymiser.fromKeyFile(short)).rejects.toThrow(`${short}: anonymisation key is 6 bytes; at least 32`);
    const good = path.join(dir, 'good');
    fs.writeFileSync(good, `${'k'.repeat(MIN_KEY_BYTES)}\n`);
    const fromFile = await Pseudonymiser.fromKeyFile(good);
    expect(fromFile.map('service', 'accounts')).toBe(new Pseudonymiser(KEY).map('service', 'accounts'));
  });

  it('is deterministic per key and kind, differs across keys and kinds, keeps empty values', () => {
    const a = new Pseudonymiser(KEY);
    const b = new Pseudonymiser(KEY);
    const other = new Pseudonymiser(Buffer.from('x'.repeat(MIN_KEY_BYTES)));
    expect(a.map('service', 'accounts')).toMatch(/^svc-[0-9a-f]{12}$/);
    expect(a.map('service', 'accounts')).toBe(b.map('service', 'accounts'));
    expect(a.map('service', 'accounts')).not.toBe(other.map('service', 'accounts'));
    expect(a.map('service', 'accounts').slice(4)).not.toBe(a.map('topic', 'accounts').slice(6));
    expect(a.map('bizSeqNo', 'B000123')).toMatch(/^biz-[0-9a-f]{16}$/);
    expect(a.map('instance', '')).toBe('');
  });

  it('scrubs known names, IP addresses and account-like numbers out of free text', () => {
    const p = new Pseudonymiser(KEY);
    const svc = p.map('service', 'ts-order-service');
    const text = 'call ts-order-service at 10.1.2.3 and fe80::1 for card 6222 0201 2345 6789 acct=12345678 code E42';
    const out = p.scrubText(text, 'x');
    expect(out).toContain(svc);
    expect(out).toContain(p.map('ip', '10.1.2.3'));
    expect(out).toContain(p.map('account', '6222020123456789'));
    expect(out).toContain(p.map('account', '12345678'));
    for (const original of ['ts-order-service', '10.1.2.3', 'fe80::1', '6222', '12345678']) expect(out).not.toContain(original);
    expect(out).toContain('code E42');
    expect(p.scrubText('Repo.add::cafe', 'y')).toBe('Repo.add::cafe');
    // A known name inside a longer word is a different word, and stays.
    expect(p.scrubText('my-ts-order-service-2', 'x')).toBe('my-ts-order-service-2');
    expect(p.report().fields['x (texts scrubbed)']).toBe(1);
  });

  it('pseudonymises the name part of scope:name:kpi ids and whole other ids', () => {
    const p = new Pseudonymiser(KEY);
    expect(anonymiseSeriesId('service:accounts:avgLatency', p)).toBe(`service:${p.map('service', 'accounts')}:avgLatency`);
    expect(anonymiseSeriesId('realKnownCause/nyc_taxi', p)).toBe(p.map('series', 'realKnownCause/nyc_taxi'));
  });

  it('rewrites a message batch column-wise, keeping codes and counting rows', () => {
    const p = new Pseudonymiser(KEY);
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
      retCode: dict(['', '0000'], [0, 1]),
      retClass: dict(['', 'ok'], [0, 1]),
    };
    const out = anonymiseMessageBatch(batch, p, 60_000);
    expect(out.senderService.values).toEqual([p.map('service', 'gateway'), p.map('service', 'accounts')]);
    expect(out.senderService.codes).toBe(batch.senderService.codes);
    expect(out.bizSeqNo).toEqual([p.map('bizSeqNo', 'B1'), p.map('bizSeqNo', 'B1')]);
    expect(out.logPoint).toBe(batch.logPoint);
    expect(out.txType.values).toEqual(['transfer']);
    expect([...out.sendTime]).toEqual([61_000, 62_000]);
    expect(batch.sendTime[0]).toBe(1000);
    const { fields, distinct } = p.report();
    expect(fields['messages.senderService']).toBe(2);
    expect(fields['messages.bizSeqNo']).toBe(2);
    expect(fields['messages.senderInstance']).toBeUndefined();
    expect(distinct.service).toBe(2);
  });
});
