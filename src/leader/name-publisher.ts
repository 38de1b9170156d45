import type { NameRecord } from "../shared/domain.js";
import type { Logger } from "../shared/logger.js";
import { nameChanges, nameRecords, podNames, type NameTable } from "./pod-names.js";
import type { PodSummary } from "./store/store-contract.js";

/** How often the publisher looks whether the leader wrote anything (a name then resolves within this of its change). */
const LOOK_MS = 100;

export interface NamePublisherSources {
  /** Moves whenever the leader writes anything. */
  version(): Promise<number>;
  summaries(): Promise<PodSummary[]>;
}

/**
 * Keeps the cluster's names (podNames) and pushes what changed to every node: it looks again only when the store's
 * change counter moved, so an idle cluster costs a counter read per look.
 */
export class NamePublisher {
  private table: NameTable = new Map();
  private timer?: NodeJS.Timeout;
  private seen?: number;
  private looking?: Promise<void>;

  constructor(
    private readonly sources: NamePublisherSources,
    private readonly publish: (changes: NameRecord[]) => void,
    private readonly log: Logger,
  ) {}

  /** Every name now, for a node whose stream opens. */
  records(): NameRecord[] {
    return nameRecords(this.table);
  }

  async start(): Promise<void> {
    await this.look();
    this.timer = setInterval(() => {
      this.looking ??= this.look()
        .catch((error: Error) => this.log.error(`cannot read the cluster's names: ${error.message}`))
        .finally(() => (this.looking = undefined));
    }, LOOK_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.looking;
  }

  private async look(): Promise<void> {
    const version = await this.sources.version();
    if (version === this.seen) return;
    this.seen = version;
    const table = podNames(await this.sources.summaries());
    const changes = nameChanges(this.table, table);
    this.table = table;
    if (changes.length > 0) this.publish(changes);
  }
}
