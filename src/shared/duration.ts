import ms from "ms";

/** "10s", "5m", "1.5h", "250ms" → milliseconds; undefined for anything else, zero and negatives included. */
export function parseDuration(text: string): number | undefined {
  if (text.trim() === "") return undefined;
  const parsed = ms(text.trim() as ms.StringValue);
  return typeof parsed === "number" && Number.isFinite(parsed) && parsed > 0 ? parsed : undefined;
}
