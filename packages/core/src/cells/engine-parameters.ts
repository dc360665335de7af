import type { AnyIO } from "../io/io.js";

/**
 * The parameters the engine declares on the cells users subclass (a scalable cell's
 * `queueCapacity`, …), with the field that holds each. A user's IO can't take one of
 * their IO names (names are unique per cell); this lets that error say why instead of
 * only "already has an IO named".
 */
const engineParameters = new WeakMap<AnyIO, string>();

/** Marks `io` as the engine's parameter held in field `field`; returns it. */
export function engineParameter<T extends AnyIO>(io: T, field: string): T {
  engineParameters.set(io, field);
  return io;
}

/** The field of the engine's parameter `io`, or undefined for a user's IO. */
export function engineParameterField(io: AnyIO): string | undefined {
  return engineParameters.get(io);
}
