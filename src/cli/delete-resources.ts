import { setTimeout as sleep } from "node:timers/promises";
import { changing } from "./changing.js";
import { isNotFound } from "./describe-error.js";
import type { LeaderClient } from "./leader-client.js";
import { parseResourceArgs, UsageError, type ResourceRef } from "./resource-ref.js";

const WAIT_LIMIT_MS = 5 * 60_000;

/** Resolves once the resource is gone; throws after WAIT_LIMIT_MS. */
async function gone(leader: LeaderClient, { type, name }: ResourceRef): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    try {
      await leader.get(type, name);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    if (Date.now() > deadline) throw new Error(`${type}/${name} is still terminating after ${WAIT_LIMIT_MS / 60_000} minutes (its node may be down)`);
    await sleep(200);
  }
}

export interface DeleteFlags {
  selector?: string;
  wait: boolean;
  purge: boolean;
}

/**
 * `cube delete`: the resources named in `words` (TYPE/NAME…, TYPE NAME…, TYPE -l SELECTOR) and those of the manifests
 * given with -f (`fromFiles`, read by the caller). What the user typed is checked before the leader is asked anything.
 */
export async function deleteResources(connect: () => Promise<LeaderClient>, words: string[], flags: DeleteFlags, fromFiles: ResourceRef[] = []): Promise<void> {
  const named = words.length > 0 ? parseResourceArgs(words) : undefined;
  if (named?.typeOnly && flags.selector === undefined) {
    throw new UsageError(
      `name the ${named.typeOnly}s to delete: ${named.typeOnly} NAME…, or ${named.typeOnly} -l SELECTOR (Cube deletes nothing by type alone)`,
    );
  }
  if (flags.selector !== undefined && !named?.typeOnly) throw new UsageError(`with -l, name the type alone: e.g. cube delete pod -l ${flags.selector}`);
  const refs: ResourceRef[] = [...(named?.refs ?? []), ...fromFiles];
  if (refs.length === 0 && !named?.typeOnly) throw new UsageError("name what to delete: TYPE/NAME…, TYPE NAME…, TYPE -l SELECTOR, or -f FILE");
  const leader = await connect();
  if (named?.typeOnly) {
    const type = named.typeOnly;
    const { items } = await leader.list(type, flags.selector);
    refs.push(...items.map((item) => ({ type, name: item.name })));
    if (items.length === 0) process.stderr.write(`no ${type} matches ${flags.selector}\n`);
  }
  for (const ref of refs) {
    await changing(() => leader.delete(ref.type, ref.name, flags.purge), `cube get ${ref.type}/${ref.name}`);
    if (!flags.wait) process.stdout.write(`${ref.type}/${ref.name} terminating\n`);
  }
  if (flags.wait && refs.length > 0) {
    const what = refs.length === 1 ? `${refs[0].type}/${refs[0].name}` : `${refs.length} resources`;
    process.stderr.write(`waiting for ${what} to stop: SIGTERM sent, SIGKILL once the grace period ends (Ctrl-C stops waiting, not the deletion)\n`);
    process.once("SIGINT", () => {
      process.stderr.write(`interrupted: the leader goes on deleting ${what}; check with \`cube list\`\n`);
      process.exit(130);
    });
    // Every one asked first, then waited for together: their grace periods run at the same time.
    await Promise.all(
      refs.map(async (ref) => {
        await gone(leader, ref);
        process.stdout.write(`${ref.type}/${ref.name} deleted\n`);
      }),
    );
  }
}
