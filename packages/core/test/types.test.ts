/**
 * Types carried end to end: `Connection` refuses an `Output<number>` into an
 * `Input<string>` at compile time, and so do the other mismatches below. Each
 * `@ts-expect-error` fails `npx tsc -p tsconfig.json` if its line ever compiles; the last
 * test type-checks this file with the TypeScript API so vitest alone catches that too.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  ConfigParameter,
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  RuntimeParameter,
  SingleCell,
} from "@cellflow/core";
import { typeErrorsOf } from "./type-check.js";

class NumberCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  readonly config = new ConfigParameter<number>(this, "config", { defaultValue: 1 });
  readonly runtime = new RuntimeParameter<number>(this, "runtime", { defaultValue: 1 });
  protected async onPull() {
    this.output.setValue(await this.input.pull());
  }
}

class StringCell extends SingleCell {
  readonly input = new Input<string>(this, "input");
  readonly output = new Output<string>(this, "output");
  protected async onPull() {
    this.output.setValue(await this.input.pull());
  }
}

class Ports extends Pipeline {
  readonly numberIn = new InputPort<number>(this, "number_in");
  readonly numberOut = new OutputPort<number>(this, "number_out");
}

/** Type-checked, never run: every line marked below must be a compile error. */
function mismatches(n: NumberCell, s: StringCell, ports: Ports, inner: StringCell): void {
  // @ts-expect-error Output<number> into Input<string>
  new Connection(n.output, s.input);
  // @ts-expect-error Output<string> into Input<number>
  new Connection(s.output, n.input);
  // @ts-expect-error Output<string> into a parameter of numbers
  new Connection(s.output, n.runtime);
  // @ts-expect-error OutputPort<number> into Input<string>
  new Connection(ports.numberOut, s.input);
  // @ts-expect-error InputPort<number> (inside) into Input<string>
  new Connection(ports.numberIn, inner.input);
  // @ts-expect-error an Input is not a source
  new Connection(n.input, n.input);
  // @ts-expect-error an Output is not a target
  new Connection(n.output, n.output);
  // @ts-expect-error setValue takes the output's type
  n.output.setValue("1");
  // @ts-expect-error so do parameters
  n.config.setValue("1");
  // @ts-expect-error initialValue has the output's type
  new Output<number>(n, "bad_initial", { initialValue: "0" });
  // @ts-expect-error defaultValue has the input's type
  new Input<number>(n, "bad_default", { defaultValue: "0" });
  // @ts-expect-error recurrent is a boolean
  new Connection(n.output, n.input, { recurrent: "yes" });
  // @ts-expect-error every cell's constructor is (parent, name)
  new NumberCell(null);
}

describe("types", () => {
  it("carry the value type through outputs, inputs and connections", async () => {
    expect(typeof mismatches).toBe("function");
    const p = new Pipeline(null, "p");
    const a = new NumberCell(p, "a");
    const b = new NumberCell(p, "b");
    const connection = new Connection(a.output, b.input);
    expectTypeOf(connection).toEqualTypeOf<Connection<number>>();
    // Method references, not calls: the pipeline is not deployed.
    expectTypeOf(b.input.pull).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(a.output.getValue).returns.toEqualTypeOf<number>();
    expectTypeOf(a.output.pull).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(a.config.getValue).returns.toEqualTypeOf<number>();
    expect(connection.source).toBe(a.output);
    expect(connection.target).toBe(b.input);
  });

  it("are refused at compile time where marked (this file type-checks, with every @ts-expect-error used)", () => {
    expect(typeErrorsOf(import.meta.url)).toEqual([]);
  }, 30_000);
});
