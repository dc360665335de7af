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
