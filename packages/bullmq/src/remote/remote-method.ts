import { randomUUID } from "node:crypto";
import { registerCloneMethod, type CloneHandle, type CloneRecipe } from "@cellflow/core/clone-methods";
import { logicalNameOf } from "../cells/remote-cells.js";
import { bullmqParent } from "../transport/bullmq.js";
import { redactedUrl } from "../transport/redis-connection.js";
import { ParentLink } from "./parent-link.js";
import { RemoteClone } from "./remote-clone.js";

/** Where remote clones send their batches. */
export interface RemoteOptions {
  /** The Redis server: `redis://[:password@]host:port[/db]`, or `rediss://…` for TLS. */
  readonly redis: string;
  /** The BullMQ queue the workers serving this cell listen on. Default "cellflow". */
  readonly queue?: string;
  /** The code version; workers started with another `--version` refuse the batches. Default "1". */
  readonly version?: string;
}

const methods = new Map<string, string>();

/**
 * A clone method for `scaleUp`: remote clones whose items run on the workers of
 * `options.queue` (started with `cellflow worker --module … --redis … --queue …`).
 *
 * ```ts
 * pipeline.scalableMultiplier.scaleUp(4, remote({ redis: "redis://10.0.0.5:6379", queue: "multiplier" }));
 * ```
 *
 * Returns the method's name (the same name for the same options), so it mixes with the
 * other methods on one scalable cell. The inner cell must have a logical name
 * (`registerRemoteCells`); `scaleUp` says so otherwise. The name holds no password.
 */
export function remote(options: RemoteOptions): string {
  const queue = options.queue ?? "cellflow";
  const version = options.version ?? "1";
  const key = JSON.stringify([options.redis, queue, version]);
  const known = methods.get(key);
  if (known !== undefined) return known;
  const name = `remote:${queue}@${redactedUrl(options.redis)}#${methods.size + 1}`;
  let link: ParentLink | null = null;
  const linkFor = (): ParentLink => {
    // The last clone to stop closes its link; clones made after that open a new one.
    if (link !== null && !link.closed) return link;
    const opened = new ParentLink(bullmqParent({ redis: options.redis, queue }), randomUUID());
    link = opened;
    return opened;
  };
  registerCloneMethod({
    name,
    check: (innerClass) => void logicalNameOf(innerClass),
    create: (recipe: CloneRecipe): CloneHandle => new RemoteClone(name, linkFor(), logicalNameOf(recipe.innerClass), version, recipe),
  });
  methods.set(key, name);
  return name;
}
