// CPU and memory amounts as Kubernetes writes them: CPUs as a number (0.5) or millicores ("500m"); memory as bytes
// with a binary (Ki, Mi, Gi, Ti) or decimal (k, M, G, T) suffix ("256Mi").

const CPU = /^(\d+(?:\.\d+)?)(m?)$/;
const MEMORY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_UNITS: Record<string, number> = { "": 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Millicores of a CPU amount (0.5 or "500m" → 500), or undefined when it is not one. */
export function cpuMillis(amount: number | string): number | undefined {
  if (typeof amount === "number") return Number.isFinite(amount) && amount >= 0 ? Math.round(amount * 1000) : undefined;
  const match = CPU.exec(amount);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (match[2] ? 1 : 1000));
}

/** Bytes of a memory amount ("256Mi" → 268435456), or undefined when it is not one. */
export function memoryBytes(amount: number | string): number | undefined {
  if (typeof amount === "number") return Number.isFinite(amount) && amount >= 0 ? Math.round(amount) : undefined;
  const match = MEMORY.exec(amount);
  return match ? Math.round(Number(match[1]) * MEMORY_UNITS[match[2] ?? ""]) : undefined;
}

/** "500m" for 500 millicores, "2" for 2000. */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** The largest binary unit that keeps the amount readable: "256Mi", "1.5Gi", "512". */
export function formatMemory(bytes: number): string {
  for (const unit of ["Ti", "Gi", "Mi", "Ki"]) {
    const size = MEMORY_UNITS[unit];
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${unit}`;
  }
  return String(bytes);
}
