/**
 * Powertools logger, metrics and tracer, built once per container and shared by every handler, and the
 * middy stack that wraps a handler with them (context keys and cold start in the logs, metrics flushed
 * after each invocation, tracing of the handler). Logs carry ids, counts, paths and error names, never
 * an event, a customer item or a message: no contact data reaches CloudWatch.
 *
 * Tests silence them through the environment (POWERTOOLS_LOG_LEVEL=SILENT,
 * POWERTOOLS_METRICS_DISABLED=true), set before this module loads.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'loyalty-triggers';
const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'LoyaltyTriggers';

export const logger = new Logger({ serviceName });
// Metrics' own warnings (an invocation that published nothing …) go through the logger, structured and
// at its level, not to the console.
export const metrics = new Metrics({ serviceName, namespace, logger });
export const tracer = new Tracer({ serviceName });

/**
 * A Metrics instance whose every metric carries `dimensions` besides `service` (one EMF blob per
 * publish): for metrics split by a bounded dimension, such as the per-campaign counters. Flushed by
 * its caller with `publishStoredMetrics()`; the shared `metrics` keeps the `service`-only set.
 */
export function dimensionedMetrics(dimensions: Record<string, string>): Metrics {
  return new Metrics({ serviceName, namespace, defaultDimensions: dimensions, logger });
}

export { MetricUnit };

/** What adapters need of the metrics: a counter. Tests pass a fake to assert on it. */
export interface MetricsSink {
  addMetric(name: string, unit: typeof MetricUnit.Count, value: number): void;
}

/** Email addresses and E.164-like phone numbers, wherever they stand in a text. */
const CONTACT_SHAPES = /[\w.%+-]+@[\w-]+(?:\.[\w-]+)+|\+\d[\d ()-]{5,18}\d/g;

/** A text with every email- or phone-shaped part replaced, for log fields that quote other code. */
export function redactContacts(text: string): string {
  return text.replace(CONTACT_SHAPES, '[redacted]');
}

/**
 * An error as log fields: its name and a clipped message. Messages of our errors carry ids only;
 * clipping bounds whatever an SDK error might quote, and anything shaped like an email address or a
 * phone number in it is redacted (a validation error may quote the value it refused).
 */
export function errorFields(error: unknown): { error: string; message: string } {
  const name = error instanceof Error ? error.name : 'Error';
  const raw = error instanceof Error ? error.message : String(error);
  // Bounded before the scan; what survives the final clip lies well inside the bound.
  const message = redactContacts(raw.length > 1000 ? raw.slice(0, 1000) : raw);
  return { error: name, message: message.length > 200 ? `${message.slice(0, 200)}…` : message };
}

export interface HandlerOptions {
  /**
   * middy aborts this long before the Lambda timeout (default 5 ms); tests pass 0 to disable it,
   * since a stub context has no real deadline.
   */
  timeoutEarlyInMillis?: number;
}

/**
 * Wraps a handler in the Powertools middlewares. Middlewares first, `.handler()` last, so the event and
 * result types flow from the function to the wrapped handler.
 */
export function withPowertools<TEvent, TResult>(
  fn: (event: TEvent, context: Context) => Promise<TResult>,
  options: HandlerOptions = {},
) {
  const plugin =
    options.timeoutEarlyInMillis === undefined ? {} : { timeoutEarlyInMillis: options.timeoutEarlyInMillis };
  // Never the event: shop events and stream images carry contacts, so no setting may log them (the
  // option wins over POWERTOOLS_LOGGER_LOG_EVENT; the PII log tests set that variable).
  return middy<TEvent, TResult>(plugin)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(fn);
}
