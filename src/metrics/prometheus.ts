/**
 * A minimal Prometheus registry written by hand (text exposition format 0.0.4), so the service
 * needs no metrics dependency. Counters, gauges (set or collected at scrape time) and histograms
 * with fixed buckets; label names are fixed per metric to keep cardinality bounded.
 */

export type LabelValues = Record<string, string>;

interface Sample {
  suffix: string;
  labels: LabelValues;
  value: number;
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  samples(): Sample[];
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values may hold anything; the format needs backslash, quote and newline escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: LabelValues): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** Normalises the label set to the declared names, in declared order; missing values become "". */
function keyOf(labelNames: readonly string[], labels: LabelValues): { key: string; ordered: LabelValues } {
  const ordered: LabelValues = {};
  for (const n of labelNames) ordered[n] = labels[n] ?? '';
  return { key: JSON.stringify(labelNames.map((n) => ordered[n])), ordered };
}

abstract class Base implements Metric {
  abstract readonly type: Metric['type'];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME_RE.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const l of labelNames) if (!LABEL_RE.test(l) || l === 'le') throw new Error(`invalid label ${l} on ${name}`);
  }
  abstract samples(): Sample[];
}

export class Counter extends Base {
  readonly type = 'counter' as const;
  private readonly values = new Map<string, { labels: LabelValues; value: number }>();

  /** Adds `by` (default 1; negative amounts are ignored: counters only go up). */
  inc(labels: LabelValues = {}, by = 1): void {
    if (!(by >= 0)) return;
    const { key, ordered } = keyOf(this.labelNames, labels);
    const cur = this.values.get(key);
    if (cur) cur.value += by;
    else this.values.set(key, { labels: ordered, value: by });
  }

  get(labels: LabelValues = {}): number {
    return this.values.get(keyOf(this.labelNames, labels).key)?.value ?? 0;
  }

  samples(): Sample[] {
    return [...this.values.values()].map((v) => ({ suffix: '_total', labels: v.labels, value: v.value }));
  }
}

export class Gauge extends Base {
  readonly type = 'gauge' as const;
  private readonly values = new Map<string, { labels: LabelValues; value: number }>();

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    /** When given, the gauge is read at scrape time (e.g. a COUNT from SQL). */
    private readonly collect?: () => Array<{ labels?: LabelValues; value: number }>,
  ) {
    super(name, help, labelNames);
  }

  set(labels: LabelValues, value: number): void {
    const { key, ordered } = keyOf(this.labelNames, labels);
    this.values.set(key, { labels: ordered, value });
  }

  add(labels: LabelValues, by: number): void {
    const { key, ordered } = keyOf(this.labelNames, labels);
    const cur = this.values.get(key);
    this.values.set(key, { labels: ordered, value: (cur?.value ?? 0) + by });
  }

  samples(): Sample[] {
    if (this.collect) {
      return this.collect().map((s) => ({
        suffix: '',
        labels: keyOf(this.labelNames, s.labels ?? {}).ordered,
        value: s.value,
      }));
    }
    return [...this.values.values()].map((v) => ({ suffix: '', labels: v.labels, value: v.value }));
  }
}

interface HistogramSeries {
  labels: LabelValues;
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Base {
  readonly type = 'histogram' as const;
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, labelNames);
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.some((b, i) => b !== buckets[i])) throw new Error(`buckets of ${name} must be ascending`);
  }

  observe(labels: LabelValues, value: number): void {
    if (!Number.isFinite(value)) return;
    const { key, ordered } = keyOf(this.labelNames, labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: ordered, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    // Buckets are cumulative in the exposition: every bucket whose bound is >= value counts it.
    this.buckets.forEach((b, i) => {
      if (value <= b && s) s.counts[i] = (s.counts[i] ?? 0) + 1;
    });
    s.sum += value;
    s.count += 1;
  }

  samples(): Sample[] {
    const out: Sample[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => {
        out.push({ suffix: '_bucket', labels: { ...s.labels, le: formatValue(b) }, value: s.counts[i] ?? 0 });
      });
      out.push({ suffix: '_bucket', labels: { ...s.labels, le: '+Inf' }, value: s.count });
      out.push({ suffix: '_sum', labels: s.labels, value: s.sum });
      out.push({ suffix: '_count', labels: s.labels, value: s.count });
    }
    return out;
  }
}

/** Holds metrics and renders them; a scrape that throws in one collector still renders the rest. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();

  private add<M extends Metric>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }

  /** `name` without the `_total` suffix; it is added on output. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    collect?: () => Array<{ labels?: LabelValues; value: number }>,
  ): Gauge {
    return this.add(new Gauge(name, help, labelNames, collect));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** The text exposition; `onError` hears about collectors that failed (their metric is skipped). */
  render(onError: (name: string, err: unknown) => void = () => {}): string {
    const lines: string[] = [];
    for (const m of this.metrics.values()) {
      let samples: Sample[];
      try {
        samples = m.samples();
      } catch (err) {
        onError(m.name, err);
        continue;
      }
      const family = m.type === 'counter' ? `${m.name}_total` : m.name;
      lines.push(`# HELP ${family} ${escapeHelp(m.help)}`, `# TYPE ${family} ${m.type}`);
      for (const s of samples) {
        const sampleName = m.type === 'counter' ? family : `${m.name}${s.suffix}`;
        lines.push(`${sampleName}${formatLabels(s.labels)} ${formatValue(s.value)}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}
