import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonFile, readYamlFile } from '../../common/validated-file.js';
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
    expect(() => readJsonFile(file('d.json', '{\n  "name": "x",\n  "items": [}\n'), schema)).toThrow(/d\.json:3: not valid JSON at column \d+/);
    expect(() => readYamlFile(file('d.yaml', 'name: x\n  items: [\n'), schema)).toThrow(/d\.yaml:\d+: not valid YAML at column \d+/);
    expect(() => readYamlFile(path.join(tmp, 'none.yaml'), schema, 'suite file')).toThrow(/none\.yaml: no such suite file/);
    expect(() => readYamlFile(tmp, schema)).toThrow(/is a folder, not a YAML file/);
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
