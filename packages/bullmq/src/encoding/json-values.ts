/**
 * How item values cross to remote workers. BullMQ stores a job's data as JSON, which
 * keeps numbers, strings, booleans, null, plain objects and arrays, and loses the rest
 * (a Date becomes a string, a Float64Array an object of indices, undefined a hole).
 * So values are encoded first: whatever JSON keeps stays as it is, and each value JSON
 * would change becomes a tagged object `{ "$cellflow": tag, ... }`:
 *
 * - typed arrays, DataView and ArrayBuffer: their bytes in base64 (little-endian, as
 *   the machines Node runs on), with the element type;
 * - Date (its time value; an invalid Date stays invalid), Map and Set (their entries),
 *   BigInt (its decimal digits);
 * - undefined, NaN, Infinity, -Infinity and -0;
 * - an object that has a `$cellflow` key of its own is wrapped, so it cannot be mistaken
 *   for a tag.
 *
 * Class instances arrive as plain objects (their own enumerable fields), as they do in
 * thread and process clones; functions and symbols cannot cross (an error names the path
 * to the value). Errors travel separately, as cellflow's serialized errors.
 */

const TAG = "$cellflow";

type Tagged = { readonly [TAG]: string; readonly [field: string]: unknown };

const TYPED_ARRAYS = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

/** Thrown for a value that cannot cross to a remote worker (a function, a symbol). */
export class UnencodableValueError extends Error {
  override readonly name = "UnencodableValueError";
}

/** `value` as JSON-safe data (see the module comment). */
export function encodeValue(value: unknown, path = "value"): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Number.isNaN(value)) return { [TAG]: "NaN" };
      if (value === Infinity) return { [TAG]: "Infinity" };
      if (value === -Infinity) return { [TAG]: "-Infinity" };
      if (Object.is(value, -0)) return { [TAG]: "-0" };
      return value;
    case "undefined":
      return { [TAG]: "undefined" };
    case "bigint":
      return { [TAG]: "BigInt", digits: value.toString() };
    case "function":
    case "symbol":
      throw new UnencodableValueError(`Cannot send ${path} to a remote worker: a ${typeof value} cannot cross a machine boundary.`);
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item, i) => encodeValue(item, `${path}[${i}]`));
  // An invalid Date's time is NaN, which JSON would turn into null (epoch 0): null says invalid.
  if (value instanceof Date) return { [TAG]: "Date", time: Number.isNaN(value.getTime()) ? null : value.getTime() };
  if (value instanceof ArrayBuffer) return { [TAG]: "ArrayBuffer", base64: Buffer.from(value).toString("base64") };
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
    const type = value instanceof DataView ? "DataView" : value.constructor.name;
    return { [TAG]: "bytes", type, base64: bytes };
  }
  if (value instanceof Map) {
    return { [TAG]: "Map", entries: [...value].map(([k, v], i) => [encodeValue(k, `${path} key ${i}`), encodeValue(v, `${path}.get(…)`)]) };
  }
  if (value instanceof Set) return { [TAG]: "Set", values: [...value].map((v, i) => encodeValue(v, `${path} item ${i}`)) };
  const object = value as Record<string, unknown>;
  const encoded: Record<string, unknown> = {};
  for (const key of Object.keys(object)) setOwn(encoded, key, encodeValue(object[key], `${path}.${key}`));
  return TAG in object ? { [TAG]: "object", value: encoded } : encoded;
}

/** The value `encodeValue` encoded. */
export function decodeValue(data: unknown): unknown {
  if (data === null || typeof data !== "object") return data;
  if (Array.isArray(data)) return data.map(decodeValue);
  const object = data as Record<string, unknown>;
  if (!(TAG in object)) {
    const decoded: Record<string, unknown> = {};
    for (const key of Object.keys(object)) setOwn(decoded, key, decodeValue(object[key]));
    return decoded;
  }
  const tagged = object as Tagged;
  switch (tagged[TAG]) {
    case "NaN":
      return NaN;
    case "Infinity":
      return Infinity;
    case "-Infinity":
      return -Infinity;
    case "-0":
      return -0;
    case "undefined":
      return undefined;
    case "BigInt":
      return BigInt(tagged.digits as string);
    case "Date":
      return new Date(tagged.time === null ? NaN : (tagged.time as number));
    case "ArrayBuffer":
      return toArrayBuffer(tagged.base64 as string);
    case "bytes": {
      const buffer = toArrayBuffer(tagged.base64 as string);
      const type = tagged.type as string;
      if (type === "DataView") return new DataView(buffer);
      const Typed = TYPED_ARRAYS[type as TypedArrayName];
      if (Typed === undefined) throw new TypeError(`Unknown typed array type "${type}" in a remote value.`);
      return new Typed(buffer);
    }
    case "Map":
      return new Map((tagged.entries as Array<[unknown, unknown]>).map(([k, v]) => [decodeValue(k), decodeValue(v)]));
    case "Set":
      return new Set((tagged.values as unknown[]).map(decodeValue));
    case "object": {
      const inner = tagged.value as Record<string, unknown>;
      const decoded: Record<string, unknown> = {};
      for (const key of Object.keys(inner)) setOwn(decoded, key, decodeValue(inner[key]));
      return decoded;
    }
    default:
      throw new TypeError(`Unknown tag "${String(tagged[TAG])}" in a remote value.`);
  }
}

/** `object[key] = value` as an own property, also for "__proto__" (which would set the prototype). */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** A fresh, exactly sized ArrayBuffer (a Buffer may be a view into a larger shared pool). */
function toArrayBuffer(base64: string): ArrayBuffer {
  const bytes = Buffer.from(base64, "base64");
  const buffer = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}
