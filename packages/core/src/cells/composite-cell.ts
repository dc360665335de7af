import * as internal from "./internal-members.js";
import type { AnyConnection } from "../connection/connection.js";
import type { OutputPort } from "../io/ports.js";
import { AlreadyDeployedError } from "../errors/lifecycle-errors.js";
import { InvalidNameError } from "../errors/structure-errors.js";
import { CellflowError } from "../errors/cellflow-error.js";
import { describeTopology, type TopologyDescription } from "../topology/description.js";
import { resolveTopology, type Topology } from "../topology/topology.js";
import type { IOKind } from "../io/io.js";
import { Cell } from "./cell.js";

/** A cell made of child cells joined by connections: the base of `Pipeline` and `ScalableCell`. */
export abstract class CompositeCell extends Cell {
  /** Child cells in declaration order. */
  readonly children: Cell[] = [];
  /** Connections that live inside this composite (between children, or ports and children). */
  readonly connections: AnyConnection[] = [];
  /** @internal A composite's emitters are its output ports. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  declare readonly [internal.emitters]: OutputPort<any>[];
  #topologyCache: Topology | null = null;

  /** @internal */
  protected [internal.acceptsIO](kind: IOKind): boolean {
    return kind !== "input" && kind !== "output";
  }

  /** The child called `name`, or undefined. */
  child(name: string): Cell | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** @internal Called by a child's constructor. */
  [internal.adoptChild](child: Cell): void {
    if (this.isDeployed) throw new AlreadyDeployedError(`Cannot add child "${child.name}" to deployed cell "${this.path}".`);
    if (this.children.some((c) => c.name === child.name)) {
      throw new InvalidNameError(`Composite cell "${this.path}" already has a child named "${child.name}".`);
    }
    this.children.push(child);
    this[internal.noteStructureChanged]();
  }

  /** @internal Called by a connection's constructor. */
  [internal.registerConnection](connection: AnyConnection): void {
    if (this.isDeployed) {
      throw new AlreadyDeployedError(`Cannot add ${connection} to deployed cell "${this.path}".`);
    }
    this.connections.push(connection);
    this[internal.noteStructureChanged]();
  }

  /** @internal */
  [internal.noteStructureChanged](): void {
    this.#topologyCache = null;
  }

  /**
   * The execution order, sources, sinks and recurrent connections of the children.
   * Throws `IndeterminableTopologyError` when the connections leave it ambiguous.
   */
  topology(): Topology {
    if (this.#topologyCache === null) {
      const topology = resolveTopology(this);
      for (const c of this.connections) c.recurrent = topology.recurrent.has(c);
      for (const c of this.connections) c.source.fanout.trackRecurrent();
      this.#topologyCache = topology;
    }
    return this.#topologyCache;
  }

  /** The topology as JSON: children in order with source/sink flags, connections with recurrent flags. */
  getTopologyDescription(): TopologyDescription {
    return describeTopology(this);
  }

  /** @internal */
  override [internal.validityReasons](): string[] {
    const reasons = super[internal.validityReasons]();
    for (const e of this[internal.emitters]) {
      if (e.kind === "outputPort" && e.inbox.incoming === null) {
        reasons.push(`${e} has no incoming connection from inside "${this.path}"`);
      }
    }
    for (const child of this.children) reasons.push(...child[internal.validityReasons]());
    return reasons;
  }

  /** @internal */
  override [internal.deployabilityReasons](): string[] {
    const reasons = super[internal.deployabilityReasons]();
    try {
      this.topology();
    } catch (error) {
      if (!(error instanceof CellflowError)) throw error;
      reasons.push(error.message);
    }
    for (const child of this.children) reasons.push(...child[internal.deployabilityReasons]());
    return reasons;
  }

  /** @internal Deploys children in execution order; on failure, undeploys those already up. */
  override async [internal.deployInternal](): Promise<void> {
    const order = this.topology().order;
    const deployed: Cell[] = [];
    try {
      for (const child of order) {
        await child[internal.deployInternal]();
        deployed.push(child);
      }
    } catch (error) {
      for (const child of deployed.reverse()) await child[internal.undeployInternal]().catch(() => undefined);
      throw error;
    }
    await super[internal.deployInternal]();
  }

  /** @internal Undeploys every child (in reverse order) even if some fail; rethrows the first failure. */
  override async [internal.undeployInternal](): Promise<void> {
    await super[internal.undeployInternal]();
    let failure: { error: unknown } | null = null;
    for (const child of [...this.topology().order].reverse()) {
      try {
        await child[internal.undeployInternal]();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== null) throw failure.error;
  }

  /** @internal */
  override async [internal.quiesceInternal](): Promise<void> {
    await Promise.all([super[internal.quiesceInternal](), ...this.children.map((child) => child[internal.quiesceInternal]())]);
  }

  /** @internal */
  override async [internal.resetInternal](): Promise<void> {
    await super[internal.resetInternal]();
    for (const child of this.topology().order) await child[internal.resetInternal]();
  }

  /** @internal */
  override async [internal.resumeInternal](): Promise<void> {
    await Promise.all(this.children.map((child) => child[internal.resumeInternal]()));
  }

  /** @internal */
  override [internal.abortWaits](reason: string): void {
    super[internal.abortWaits](reason);
    for (const child of this.children) child[internal.abortWaits](reason);
  }
}
