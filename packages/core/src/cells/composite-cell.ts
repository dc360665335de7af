import type { AnyConnection } from "../connection/connection.js";
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
  private topologyCache: Topology | null = null;

  /** @internal */
  protected acceptsIO(kind: IOKind): boolean {
    return kind !== "input" && kind !== "output";
  }

  /** The child called `name`, or undefined. */
  child(name: string): Cell | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** @internal Called by a child's constructor. */
  adoptChild(child: Cell): void {
    if (this.isDeployed) throw new AlreadyDeployedError(`Cannot add child "${child.name}" to deployed cell "${this.path}".`);
    if (this.children.some((c) => c.name === child.name)) {
      throw new InvalidNameError(`Composite cell "${this.path}" already has a child named "${child.name}".`);
    }
    this.children.push(child);
    this.noteStructureChanged();
  }

  /** @internal Called by a connection's constructor. */
  registerConnection(connection: AnyConnection): void {
    if (this.isDeployed) {
      throw new AlreadyDeployedError(`Cannot add ${connection} to deployed cell "${this.path}".`);
    }
    this.connections.push(connection);
    this.noteStructureChanged();
  }

  /** @internal */
  noteStructureChanged(): void {
    this.topologyCache = null;
  }

  /**
   * The execution order, sources, sinks and recurrent connections of the children.
   * Throws `IndeterminableTopologyError` when the connections leave it ambiguous.
   */
  topology(): Topology {
    if (this.topologyCache === null) {
      const topology = resolveTopology(this);
      for (const c of this.connections) c.recurrent = topology.recurrent.has(c);
      for (const c of this.connections) c.source.fanout.trackRecurrent();
      this.topologyCache = topology;
    }
    return this.topologyCache;
  }

  /** The topology as JSON: children in order with source/sink flags, connections with recurrent flags. */
  getTopologyDescription(): TopologyDescription {
    return describeTopology(this);
  }

  /** @internal */
  override validityReasons(): string[] {
    const reasons = super.validityReasons();
    for (const e of this.emitters) {
      if (e.kind === "outputPort" && (e as unknown as { inbox: { incoming: unknown } }).inbox.incoming === null) {
        reasons.push(`${e} has no incoming connection from inside "${this.path}"`);
      }
    }
    for (const child of this.children) reasons.push(...child.validityReasons());
    return reasons;
  }

  /** @internal */
  override deployabilityReasons(): string[] {
    const reasons = super.deployabilityReasons();
    try {
      this.topology();
    } catch (error) {
      if (!(error instanceof CellflowError)) throw error;
      reasons.push(error.message);
    }
    for (const child of this.children) reasons.push(...child.deployabilityReasons());
    return reasons;
  }

  /** @internal Deploys children in execution order; on failure, undeploys those already up. */
  override async deployInternal(): Promise<void> {
    const order = this.topology().order;
    const deployed: Cell[] = [];
    try {
      for (const child of order) {
        await child.deployInternal();
        deployed.push(child);
      }
    } catch (error) {
      for (const child of deployed.reverse()) await child.undeployInternal().catch(() => undefined);
      throw error;
    }
    await super.deployInternal();
  }

  /** @internal Undeploys every child (in reverse order) even if some fail; rethrows the first failure. */
  override async undeployInternal(): Promise<void> {
    await super.undeployInternal();
    let failure: { error: unknown } | null = null;
    for (const child of [...this.topology().order].reverse()) {
      try {
        await child.undeployInternal();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== null) throw failure.error;
  }

  /** @internal */
  override async quiesceInternal(): Promise<void> {
    await Promise.all([super.quiesceInternal(), ...this.children.map((child) => child.quiesceInternal())]);
  }

  /** @internal */
  override async resetInternal(): Promise<void> {
    await super.resetInternal();
    for (const child of this.topology().order) await child.resetInternal();
  }

  /** @internal */
  override async resumeInternal(): Promise<void> {
    await Promise.all(this.children.map((child) => child.resumeInternal()));
  }

  /** @internal */
  override abortWaits(reason: string): void {
    super.abortWaits(reason);
    for (const child of this.children) child.abortWaits(reason);
  }
}
