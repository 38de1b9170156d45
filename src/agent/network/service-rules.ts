import type { ServiceEntry, ServiceUpdate } from "../../shared/domain.js";
import type { Logger } from "../../shared/logger.js";
import type { RunCommand } from "./host-network.js";
import { ReconcileLoop } from "./reconcile-loop.js";
import { observeServiceRules, planServiceRules, serviceJumps, type ObservedServiceRules } from "./plan-service-rules.js";

/** After a failure, the rules are written again this much later (and at every change from the leader). */
const RETRY_MS = 5000;
/** How often the host's rules are read again, to restore what someone else removed (a flush, an engine's restart). */
const RECHECK_MS = 30_000;

export interface ServiceRulesDependencies {
  node: string;
  run: RunCommand;
  log: Logger;
  /** The node's rules follow the services of this version: the leader may stop the pods that left them. */
  applied: (version: number) => void;
}

/**
 * The node's part of the services: the leader's table of services and ready endpoints, written to the host's nat
 * table (planServiceRules). Until the leader has sent the whole table since this start, the host's rules stay as they
 * are (a node that restarts, or whose leader is away, goes on balancing over the endpoints it last knew). One pass at
 * a time; a pass writes only the chains that changed, in one iptables-restore (atomic).
 */
export class ServiceRules {
  private services = new Map<string, ServiceEntry>();
  /** The parts of a complete table received so far. */
  private parts?: { version: number; services: ServiceEntry[] };
  private version = 0;
  private known = false;
  private leaving = false;
  private written = new Map<string, string[]>();
  private observed?: ObservedServiceRules;
  private observedAt = 0;
  private readonly loop: ReconcileLoop;

  constructor(private readonly deps: ServiceRulesDependencies) {
    this.loop = new ReconcileLoop({
      what: "the services' rules",
      pass: () => this.pass(),
      log: deps.log,
      retryMs: RETRY_MS,
      recheckMs: RECHECK_MS,
      // What the host holds is read again at the next pass.
      failed: () => (this.observed = undefined),
    });
  }

  /** The leader's word on the services (all of them, possibly in parts, or what changed). */
  update(update: ServiceUpdate & { more: boolean }): void {
    if (update.complete) {
      const parts = this.parts?.version === update.version ? this.parts.services : [];
      parts.push(...update.services);
      if (update.more) {
        this.parts = { version: update.version, services: parts };
        return;
      }
      this.parts = undefined;
      this.services = new Map(parts.map((service) => [service.name, service]));
      this.known = true;
      this.observed = undefined; // a whole table: the host is read again, what is stale goes
    } else {
      for (const name of update.removed) this.services.delete(name);
      for (const service of update.services) this.services.set(service.name, service);
    }
    this.version = update.version;
    this.loop.trigger();
  }

  /** The node left the cluster: its rules go. */
  async tearDown(): Promise<void> {
    this.leaving = true;
    this.known = true;
    this.observed = undefined;
    this.loop.trigger();
    await this.loop.idle();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  private async pass(): Promise<void> {
    if (!this.known) return;
    const { node, run, log } = this.deps;
    const version = this.version;
    if (!this.observed || Date.now() - this.observedAt >= RECHECK_MS) {
      this.observed = observeServiceRules(node, await run(["iptables-save"]));
      this.observedAt = Date.now();
    }
    const plan = planServiceRules(node, this.leaving ? undefined : [...this.services.values()], this.observed, this.written);
    if (plan.restore) {
      await run(["iptables-restore", "--noflush"], plan.restore);
      if (plan.reasons.some((reason) => reason !== "services or endpoints changed")) log.info(`services: ${plan.reasons.join("; ")}`);
    }
    this.written = plan.written;
    this.observed = { chains: new Set(plan.written.keys()), jumps: new Set(this.leaving ? [] : serviceJumps(node).map((jump) => jump.key)) };
    if (!this.leaving) this.deps.applied(version);
  }
}
