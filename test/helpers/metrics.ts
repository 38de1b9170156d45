import type { Registry } from "prom-client";

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

/** A registry's figures as prom-client holds them, for the unit tests of what is counted (the format is Prometheus' to check). */
export class MetricValues {
  private constructor(private readonly metrics: { name: string; values: Sample[] }[]) {}

  static async of(registry: Registry): Promise<MetricValues> {
    return new MetricValues((await registry.getMetricsAsJSON()) as unknown as { name: string; values: Sample[] }[]);
  }

  has(name: string): boolean {
    return this.metrics.some((metric) => metric.name === name);
  }

  /** The samples named `name` (a histogram's `_count`, `_sum`) whose labels include `labels`. */
  samples(family: string, name: string, labels: Record<string, string>): Sample[] {
    const metric = this.metrics.find((candidate) => candidate.name === family);
    if (!metric) throw new Error(`no metric ${family}`);
    return metric.values.filter(
      (sample) => (sample.metricName ?? family) === name && Object.entries(labels).every(([key, value]) => String(sample.labels[key]) === value),
    );
  }

  /** A counter's or gauge's samples whose labels include `labels`, summed (0 when none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, name, labels).reduce((sum, sample) => sum + sample.value, 0);
  }

  /** A histogram's observations (`_count`) or their total (`_sum`), over the samples whose labels include `labels`. */
  count(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, `${name}_count`, labels).reduce((sum, sample) => sum + sample.value, 0);
  }

  sum(name: string, labels: Record<string, string> = {}): number {
    return this.samples(name, `${name}_sum`, labels).reduce((sum, sample) => sum + sample.value, 0);
  }
}
