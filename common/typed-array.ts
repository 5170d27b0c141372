/** Any typed array the columnar builders grow. */
export type GrowableArray = Int8Array | Uint8Array | Uint16Array | Int32Array | Float64Array;

/** A copy of `a` with room for `capacity` elements (the first `a.length` kept, the rest zero). */
export function grown<T extends GrowableArray>(a: T, capacity: number): T {
  const b = new (a.constructor as new (n: number) => T)(capacity);
  b.set(a);
  return b;
}
