/**
 * What crosses to remote workers (BullMQ stores JSON): `encodeValue` then JSON then
 * `decodeValue` gives back an equal value for everything structured clone keeps, typed
 * arrays, Dates, Maps, Sets, BigInts, undefined, NaN, ±Infinity and -0 included
 * (fast-check); functions and symbols are refused with the path to them.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UnencodableValueError, decodeValue, encodeValue } from "@cellflow/bullmq";

const roundTrip = (value: unknown) => decodeValue(JSON.parse(JSON.stringify(encodeValue(value))));

const leaf = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  fc.float64Array(),
  fc.int32Array(),
  fc.uint8Array(),
  fc.bigInt64Array(),
);
const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object"), tie("map"), tie("set")),
  array: fc.array(tie("any"), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.string(), fc.constant("$cellflow"), fc.constant("__proto__")), tie("any"), { maxKeys: 4, noNullPrototype: true }),
  map: fc.array(fc.tuple(fc.oneof(fc.string(), fc.integer()), tie("any")), { maxLength: 3 }).map((entries) => new Map(entries)),
  set: fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }).map((items) => new Set(items)),
})).any;

describe("remote values (encodeValue / decodeValue)", () => {
  it("property: survive JSON unchanged", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toStrictEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it("keep -0, NaN, the infinities, an invalid Date, the element type of typed arrays and a DataView's bytes", () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(roundTrip([NaN, Infinity, -Infinity])).toEqual([NaN, Infinity, -Infinity]);
    // An invalid Date (fast-check found it: it came back as 1970-01-01).
    const invalid = roundTrip(new Date(NaN));
    expect(invalid).toBeInstanceOf(Date);
    expect(Number.isNaN((invalid as Date).getTime())).toBe(true);
    const view = roundTrip(new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2)) as DataView;
    expect(view).toBeInstanceOf(DataView);
    expect([view.getUint8(0), view.getUint8(1)]).toEqual([2, 3]);
    const part = roundTrip(new Float32Array([1, 2, 3, 4]).subarray(1, 3)) as Float32Array;
    expect(part).toBeInstanceOf(Float32Array);
    expect([...part]).toEqual([2, 3]);
  });

  it("refuse functions and symbols, naming where they are", () => {
    expect(() => encodeValue({ a: [1, () => 2] })).toThrow(UnencodableValueError);
    expect(() => encodeValue({ a: [1, () => 2] })).toThrow(/value\.a\[1\].*function/);
    expect(() => encodeValue(Symbol("s"))).toThrow(/symbol/);
  });
});
