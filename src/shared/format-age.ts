import ms from "ms";

/** A resource's age as kubectl shows it: "0s", "10s", "5m", "3h", "2d". */
export function formatAge(since: Date, now: Date = new Date()): string {
  const elapsed = now.getTime() - since.getTime();
  return elapsed < 1000 ? "0s" : ms(elapsed);
}
