/** The CA is said to be near its end this long before it. */
export const CA_WARNING_MS = 90 * 24 * 3600 * 1000;

const days = (ms: number) => Math.max(0, Math.floor(ms / (24 * 3600 * 1000)));

/**
 * What an admin should hear of the cluster's certificates at `now`: the CA within 90 days of its end; a node whose
 * certificate is past the point where it renews itself (80 % of its lifetime), so is not renewing it (down, or cut off).
 */
export function certificateWarnings(now: number, caEndsAt: number, nodeEnds: Map<string, number>, lifetimeMs: number): string[] {
  const warnings: string[] = [];
  if (caEndsAt - now <= CA_WARNING_MS) {
    warnings.push(
      `the cluster CA ends on ${new Date(caEndsAt).toISOString().slice(0, 10)} (in ${days(caEndsAt - now)} days): every certificate of the cluster ends with it`,
    );
  }
  for (const [name, endsAt] of [...nodeEnds].sort(([a], [b]) => a.localeCompare(b))) {
    if (endsAt <= now) warnings.push(`node ${name}'s certificate ended on ${new Date(endsAt).toISOString()}: it must join again with the join token`);
    else if (endsAt - now < lifetimeMs / 5)
      warnings.push(
        `node ${name}'s certificate ends in ${endsAt - now >= 86_400_000 ? `${days(endsAt - now)} days` : `${Math.ceil((endsAt - now) / 60_000)} min`} and was not renewed (a node renews at 50–80 % of its lifetime): is it down or cut off?`,
      );
  }
  return warnings;
}
