import { context, propagation, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

/**
 * OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Unset, the API's no-op
 * tracer and propagator are used: no spans are made and nothing is stored, so tracing costs nothing.
 * A trace runs from the API's accept to the provider's answer: the accept span's context is kept on
 * each delivery (`trace_parent`) and the worker's span continues it, across the queue and processes.
 */
export function startTracing(endpoint: string): { shutdown(): Promise<void> } {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'herald' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }), { scheduledDelayMillis: 200 })],
  });
  provider.register();
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

export const tracer = () => trace.getTracer('herald');

/** The W3C traceparent of the active span, or null when not tracing. */
export function currentTraceParent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** Run `fn` in a span that continues the trace named by `traceParent` (when tracing and given). */
export async function inSpan<T>(name: string, traceParent: string | null, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = traceParent ? propagation.extract(context.active(), { traceparent: traceParent }) : context.active();
  return tracer().startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
