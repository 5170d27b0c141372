import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseJsonText, readJsonFile, readYamlFile } from '../../common/validated-file.js';
import { EXIT, FaultlineError, isInternalError, UsageError } from '../../common/errors.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'faultline-validated-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const schema = z.object({ name: z.string(), items: z.array(z.object({ n: z.number().int().min(1) })) }).strict();

describe('JSON and YAML files, one way', () => {
  it('reads JSON and YAML with a byte-order mark', () => {
    expect(readJsonFile(file('a.json', '\uFEFF{"name":"x","items":[{"n":1}]}'), schema)).toEqual({ name: 'x', items: [{ n: 1 }] });
    expect(readYamlFile(file('a.yaml', '\uFEFFname: x\nitems:\n  - n: 2\n'), schema)).toEqual({ name: 'x', items: [{ n: 2 }] });
  });

  it('names the file, the line and the field of a value the schema refuses', () => {
    const json = file('b.json', '{\n  "name": "x",\n  "items": [\n    {"n": 1},\n    {"n": 0}\n  ]\n}\n');
    expect(() => readJsonFile(json, schema)).toThrow(`${json}:5: items[1].n: Too small: expected number to be >=1`);
    const yaml = file('b.yaml', 'name: x\nitems:\n  - n: 1\n  - n: one\n');
    expect(() => readYamlFile(yaml, schema)).toThrow(`${yaml}:4: items[1].n: Invalid input: expected number, received string`);
    expect(() => readYamlFile(file('c.yaml', 'name: x\nitems: []\nextra: 1\n'), schema)).toThrow(/c\.yaml:1: \(top level\): Unrecognized key: "extra"/);
  });

  it('names the line and column of a syntax error, and says when a file is missing', () => {
    const d = file('d.json', '{\n  "name": "x",\n  "items": [}\n');
    expect(() => readJsonFile(d, schema)).toThrow(`${d}: line 3, column 13: not valid JSON (Unexpected token '}' at "}")`);
    expect(() => readYamlFile(file('d.yaml', 'name: x\n  items: [\n'), schema)).toThrow(/d\.yaml:\d+: not valid YAML at column \d+/);
    expect(() => readYamlFile(path.join(tmp, 'none.yaml'), schema, 'suite file')).toThrow(/none\.yaml: no such suite file/);
    expect(() => readYamlFile(tmp, schema)).toThrow(/is a folder, not a YAML file/);
  });

  it('says where JSON V8 names no position for is wrong, on one line, quoting a little of it', () => {
    const nan = file('nan.json', '[{"id":"i1","start":NaN,"rootCause":["ts-auth-service","ts-order-service"]}]');
    expect(() => parseJsonText(readFileSync(nan, 'utf8'), nan)).toThrow(`${nan}: line 1, column 21: not valid JSON (Unexpected token 'N' at "NaN,"rootCause":["ts-aut…")`);
    const words = file('words.json', 'not json at all\nsecond line\n');
    expect(() => readJsonFile(words, schema)).toThrow(expect.objectContaining({ message: `${words}: line 1, column 2: not valid JSON (Unexpected token 'o' at "ot json at all")` }));
    // Cut short: the place it stops, not V8's byte offset.
    const cut = file('cut.json', '{\n  "name": "x",\n  "items": [{"n": 1}, {"n"');
    expect(() => readJsonFile(cut, schema)).toThrow(`${cut}: line 3, column 27: not valid JSON (Expected ':' after property name)`);
    // A line of a larger file: the file's line.
    expect(() => parseJsonText('{"key": "a", "x": tru}', 'results.json', 7)).toThrow(`results.json: line 7, column 22: not valid JSON (Unexpected token '}' at "}")`);
  });

  it('refuses duplicate keys and alias bombs with a clear message', () => {
    expect(() => readYamlFile(file('e.yaml', 'name: x\nname: y\nitems: []\n'), schema)).toThrow(/e\.yaml:2: not valid YAML.*unique/i);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)];
    expect(() => readYamlFile(file('bomb.yaml', bomb.join('\n') + '\n'), schema)).toThrow(/bomb\.yaml: YAML aliases: /);
  });
});

describe('exit codes', () => {
  it('tells errors the user can act on from bugs', () => {
    expect(EXIT).toEqual({ ok: 0, gateFailed: 1, usage: 2, internal: 3 });
    expect(isInternalError(new Error('x.csv:3: bad'))).toBe(false);
    expect(isInternalError(new UsageError('--out'))).toBe(false);
    expect(isInternalError(new FaultlineError('x'))).toBe(false);
    expect(isInternalError(Object.assign(new Error("ENOENT: no such file, open 'x'"), { code: 'ENOENT', syscall: 'open' }))).toBe(false);
    expect(isInternalError(new TypeError("Cannot read properties of null (reading 'x')"))).toBe(true);
    expect(isInternalError(new RangeError('Invalid array length'))).toBe(true);
    expect(isInternalError('a string')).toBe(true);
  });
});
