/**
 * Splits `items` into consecutive parts whose sizes add up to at most `maxBytes` each (an item larger than that has a
 * part of its own), so that no message carrying a part exceeds what the other side accepts. Always one part at least.
 */
export function splitBySize<T>(items: T[], sizeOf: (item: T) => number, maxBytes: number): T[][] {
  const parts: T[][] = [[]];
  let size = 0;
  for (const item of items) {
    const itemSize = sizeOf(item);
    if (parts[parts.length - 1].length > 0 && size + itemSize > maxBytes) {
      parts.push([]);
      size = 0;
    }
    parts[parts.length - 1].push(item);
    size += itemSize;
  }
  return parts;
}
