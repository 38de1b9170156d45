import { join } from "node:path";
import { LeaderStore } from "../../src/leader/store/leader-store.js";
import type { LeaderStoreContract } from "../../src/leader/store/store-contract.js";

/**
 * The store implementations that the store tests run against, each by the same tests: `open` gives a fresh, empty
 * store kept in `dir` (a second engine adds its line here).
 */
export const STORE_BACKENDS: { name: string; open(dir: string, maxEventsPerPod?: number): Promise<LeaderStoreContract> }[] = [
  { name: "SQLite", open: (dir, maxEventsPerPod) => LeaderStore.open(join(dir, `leader-${Math.random().toString(36).slice(2, 8)}.db`), maxEventsPerPod) },
];
