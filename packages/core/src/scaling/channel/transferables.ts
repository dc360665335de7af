/** The ArrayBuffers inside `values` (typed arrays and bare buffers, one level deep), for zero-copy transfer. */
export function transferablesOf(values: Record<string, unknown>, found = new Set<ArrayBuffer>()): ArrayBuffer[] {
  const visit = (value: unknown): void => {
    if (value instanceof ArrayBuffer) found.add(value);
    else if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) found.add(value.buffer);
    else if (Array.isArray(value)) for (const v of value) if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) visit(v);
  };
  for (const value of Object.values(values)) visit(value);
  return [...found];
}

/** The ArrayBuffers inside every one of `items` (a batch), each once. */
export function transferablesOfAll(items: readonly Record<string, unknown>[]): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  for (const values of items) transferablesOf(values, found);
  return [...found];
}

/** Names the first entry of `values` that structured clone refuses, for a clear error. */
export function uncloneableEntry(values: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(values)) {
    try {
      structuredClone(value);
    } catch {
      return name;
    }
  }
  return undefined;
}
