// The package ships no types: what test/region/operations.test.ts reads of its answer.
declare module 'parse-prometheus-text-format' {
  export interface MetricFamily {
    name: string;
    help?: string;
    type: string;
    metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[];
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
