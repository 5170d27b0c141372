/**
 * Sweep axes: named lists of values for one field of a scenario (a fault's type, target, severity,
 * start or duration; the traffic scale; a topology figure such as every service's instances).
 * A suite's items are the cross product of its scenarios, its axes and its seeds.
 *
 * A field is a dot path into the scenario: mapping keys, list indices (`faults.0`), a list entry
 * by name (`subsystems.core.services.ledger-service.instances`), or `*` for every entry of a list
 * (`subsystems.*.services.*.instances`). Setting a mapping onto a mapping replaces the keys it
 * names and keeps the others (`faults.0` <- `{ type, target }` keeps the fault's start, duration
 * and severity); any other value replaces the field.
 */
import { z } from 'zod';
import { FAULT_TARGET_KIND_NAMES, FAULT_TARGET_KINDS, FAULT_TYPES } from '../sim/formats.js';
import { scenarioSchema, type CallTemplate, type ScenarioFile } from '../sim/scenario-schema.js';

const axisName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes, starting with a letter');
const fieldPath = z.string().regex(/^[A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)*$/, 'must be a dot path such as faults.0.severity');

/** What `every` enumerates from each scenario's own topology. */
export const EVERY = ['fault', ...FAULT_TARGET_KIND_NAMES] as const;
export type Every = (typeof EVERY)[number];

export const AxisSchema = z
  .object({
    /** The scenario field the axis sets. */
    field: fieldPath,
    /** The values, in order: scalars, lists or mappings (a mapping set onto a mapping replaces only its keys). */
    values: z.array(z.unknown()).min(1).optional(),
    /** Evenly spaced numbers from..to (inclusive) by step, instead of values. */
    range: z.strictObject({ from: z.number(), to: z.number(), step: z.number().positive() }).optional(),
    /** Values from each scenario's topology instead of a list: `fault` is every fault type on every target it takes. */
    every: z.enum(EVERY).optional(),
    /** With `every: fault`: the fault types (default: all). */
    types: z.array(z.enum(FAULT_TYPES)).min(1).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const given = [a.values, a.range, a.every].filter((x) => x !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of values, range or every' });
    if (a.types && a.every !== 'fault') ctx.addIssue({ code: 'custom', path: ['types'], message: 'types goes with every: fault' });
    if (a.range && (a.range.to - a.range.from) / a.range.step > 10_000) ctx.addIssue({ code: 'custom', path: ['range'], message: 'more than 10,000 values' });
  });
export type AxisSpec = z.infer<typeof AxisSchema>;

export const AxesSchema = z.record(axisName, AxisSchema);

/** One value of an axis: what is set, and its label in item keys. */
export interface AxisValue {
  label: string;
  value: unknown;
}

/** One field setting of an item. */
export interface Setting {
  field: string;
  value: unknown;
}

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Characters a label may hold: keys stay one readable token (`,`, `=`, `]` and `@` delimit them). */
const LABEL_UNSAFE = /[^A-Za-z0-9._:+#/>-]/g;

/** The label of a value in item keys: scalars as written; lists and mappings by their leaves, joined by `:`. */
export function valueLabel(value: unknown): string {
  const leaves: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isMap(v)) Object.values(v).forEach(walk);
    else leaves.push(String(v));
  };
  walk(value);
  return leaves.join(':').replace(LABEL_UNSAFE, '_');
}

function callEdges(c: CallTemplate, caller: string | undefined, out: Set<string>): void {
  if (caller) out.add(`${caller}>${c.call}`);
  for (const child of c.children ?? []) callEdges(child, c.call, out);
}

/** Targets of each kind in a scenario, in the order the scenario lists them. */
function targets(s: ScenarioFile, kind: Exclude<Every, 'fault'>): AxisValue[] {
  const services = s.subsystems.flatMap((sub) => sub.services);
  switch (kind) {
    case 'service':
      return services.map((svc) => ({ label: svc.name, value: { service: svc.name } }));
    case 'instance':
      return services.flatMap((svc) =>
        Array.from({ length: svc.instances }, (_, k) => ({ label: `${svc.name}#${k + 1}`, value: { service: svc.name, instance: k + 1 } })),
      );
    case 'database':
      return (s.databases ?? []).map((db) => ({ label: db.name, value: { database: db.name } }));
    case 'channel':
      return (s.channels ?? []).map((ch) => ({ label: ch.name, value: { channel: ch.name } }));
    case 'txType':
      return s.transactions.map((t) => ({ label: t.name, value: { txType: t.name } }));
    case 'edge': {
      const edges = new Set<string>();
      for (const t of s.transactions) callEdges(t.root, undefined, edges);
      return [...edges].map((e) => {
        const [from, to] = e.split('>') as [string, string];
        return { label: `${from}>${to}`, value: { from, to } };
      });
    }
  }
}


/** An axis's values for one scenario (`every` depends on the scenario's topology). */
export function axisValues(spec: AxisSpec, scenario: ScenarioFile): AxisValue[] {
  if (spec.values) return spec.values.map((value) => ({ label: valueLabel(value), value }));
  if (spec.range) {
    const { from, to, step } = spec.range;
    const out: AxisValue[] = [];
    // Counted in steps, not summed, so 0.1 + 0.1 + 0.1 does not drift past `to`.
    for (let k = 0; from + k * step <= to + step * 1e-9; k++) {
      const value = Number((from + k * step).toPrecision(12));
      out.push({ label: valueLabel(value), value });
    }
    return out;
  }
  const every = spec.every!;
  if (every !== 'fault') return targets(scenario, every);
  return (spec.types ?? FAULT_TYPES).flatMap((type) => {
    return FAULT_TARGET_KINDS[type].flatMap((kind) => targets(scenario, kind).map((t) => ({ label: `${type}:${t.label}`, value: { type, target: t.value } })));
  });
}

/** A concrete path to one node of the scenario, for messages and sub-schemas. */
type Concrete = (string | number)[];

/** Every concrete location `field` names in `root`; throws when a segment matches nothing. */
export function resolveField(root: unknown, field: string): Concrete[] {
  let paths: { at: Concrete; node: unknown }[] = [{ at: [], node: root }];
  const segments = field.split('.');
  segments.forEach((seg, depth) => {
    const last = depth === segments.length - 1;
    const next: { at: Concrete; node: unknown }[] = [];
    for (const { at, node } of paths) {
      const where = at.length ? at.join('.') : 'the scenario';
      if (Array.isArray(node)) {
        if (seg === '*') node.forEach((child, k) => next.push({ at: [...at, k], node: child }));
        else if (/^\d+$/.test(seg)) {
          const k = Number(seg);
          if (k >= node.length) throw new Error(`${where} has ${node.length} entries, no entry ${k}`);
          next.push({ at: [...at, k], node: node[k] });
        } else {
          const k = node.findIndex((child) => isMap(child) && (child.name === seg || child.id === seg));
          if (k < 0) throw new Error(`${where} has no entry named ${seg}`);
          next.push({ at: [...at, k], node: node[k] });
        }
      } else if (isMap(node)) {
        if (seg === '*') throw new Error(`${where} is a mapping: * takes every entry of a list`);
        if (!(seg in node) && !last) throw new Error(`${where} has no field ${seg}`);
        next.push({ at: [...at, seg], node: node[seg] });
      } else {
        throw new Error(`${where} is a value, not a list or mapping: it has no ${seg}`);
      }
    }
    paths = next;
  });
  return paths.map((p) => p.at);
}

function getAt(root: unknown, at: Concrete): unknown {
  let node = root;
  for (const seg of at) node = (node as Json)[seg as string];
  return node;
}

/** Sets `value` at `at` (see the module comment for how a mapping is set onto a mapping). */
function setAt(root: unknown, at: Concrete, value: unknown): void {
  const parent = getAt(root, at.slice(0, -1)) as Json;
  const key = at[at.length - 1]! as string;
  const current = parent[key];
  parent[key] = isMap(current) && isMap(value) ? { ...current, ...structuredClone(value) } : structuredClone(value);
}

/** The scenario with the item's settings applied (the base is not changed); `extends` is already resolved. */
export function applySettings(base: ScenarioFile, settings: readonly Setting[]): ScenarioFile {
  const out = structuredClone(base) as Json;
  delete out.extends;
  for (const { field, value } of settings) for (const at of resolveField(out, field)) setAt(out, at, value);
  return out as ScenarioFile;
}

// zod v4 keeps a schema's structure in `_zod.def`; the sweep validates only the fields it sets.
type Def = { type: string; shape?: Record<string, Schema>; element?: Schema; innerType?: Schema; getter?: () => Schema; in?: Schema };
type Schema = z.ZodType & { _zod: { def: Def } };

/** The part of the scenario schema at a concrete path. */
function schemaAt(at: Concrete): z.ZodType {
  let s = scenarioSchema as unknown as Schema;
  const unwrap = () => {
    for (;;) {
      const d = s._zod.def;
      if (d.innerType) s = d.innerType;
      else if (d.getter) s = d.getter();
      else if (d.type === 'pipe' && d.in) s = d.in;
      else return;
    }
  };
  for (const seg of at) {
    unwrap();
    const d = s._zod.def;
    const next = typeof seg === 'number' ? d.element : d.shape?.[seg];
    if (!next) throw new Error(`the scenario format has no field ${at.join('.')}`);
    s = next;
  }
  return s;
}

/**
 * Applies one value of an axis to a scenario and checks each field it set against the scenario
 * schema (sim/scenario-schema.ts): since every other field comes from a scenario that passed it,
 * this is the schema check of the whole variant. Throws with the field and the problem.
 */
export function checkAxisValue(base: ScenarioFile, field: string, value: unknown): void {
  for (const at of resolveField(base, field)) {
    const current = getAt(base, at);
    const parsed = schemaAt(at).safeParse(isMap(current) && isMap(value) ? { ...current, ...value } : value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = [...at, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))].join('.');
      throw new Error(`${where}: ${issue.message}`);
    }
  }
}
