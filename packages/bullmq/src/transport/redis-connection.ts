import { Redis } from "ioredis";

/** How to reach Redis: a URL (`redis://`, `rediss://` for TLS; a password in it works). */
export interface RedisTarget {
  readonly redis: string;
}

/**
 * A connection for BullMQ and for the results stream. `maxRetriesPerRequest: null` is what
 * BullMQ's workers require (a blocking command must wait through reconnects, not fail).
 */
export function connect(target: RedisTarget): Redis {
  return new Redis(target.redis, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable Redis URL)";
  }
}

const checked = new Set<string>();

/**
 * Checks a Redis server once per URL per process, in place of BullMQ's own check (which
 * prints a console line for every connection): the version BullMQ needs, and the
 * eviction policy. A Redis that evicts keys under memory pressure may drop queued
 * batches and results, so anything but `noeviction` gets one warning (a
 * `CellflowWarning` on `process`). A server that hides its INFO (some managed Redis)
 * is not checked.
 */
export async function checkServer(connection: Redis, url: string): Promise<void> {
  if (checked.has(url)) return;
  checked.add(url);
  let info: string;
  try {
    info = await connection.info();
  } catch {
    return;
  }
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, "m").exec(info)?.[1]?.trim();
  const version = field("redis_version") ?? field("valkey_version");
  if (version !== undefined && Number(version.split(".")[0]) < 5) {
    throw new Error(`Redis at ${redactedUrl(url)} runs version ${version}; BullMQ needs 5.0 or newer.`);
  }
  const policy = field("maxmemory_policy");
  if (policy !== undefined && policy !== "noeviction") {
    process.emitWarning(
      `Redis at ${redactedUrl(url)} evicts keys under memory pressure (maxmemory-policy ${policy}): queued batches and ` +
        `their results may vanish. Set maxmemory-policy noeviction on it.`,
      "CellflowWarning",
    );
  }
}
