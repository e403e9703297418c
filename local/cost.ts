/**
 * The engine's AWS bill for a run, at list prices: DynamoDB on-demand request units (and the Streams
 * reads, free when Lambda consumes them), Lambda requests and GB-seconds, SQS requests (one per started
 * 64 KB), EventBridge events and Scheduler invocations. Message delivery (SES, SNS, push providers) and
 * storage are outside. The local run counts every request; this turns the counts into dollars.
 *
 * Prices: US East (N. Virginia), on-demand, as published by AWS on 2026-11-25 (DynamoDB's on-demand
 * prices after the November 2024 reduction). Free tiers are not deducted.
 */
import type { StackUsage } from './embedded/stack.ts';

export const PRICES = {
  date: '2026-11-25',
  region: 'us-east-1',
  /** DynamoDB on-demand (Standard table class), per million request units. */
  dynamodbWriteUnitPerMillion: 0.625,
  dynamodbReadUnitPerMillion: 0.125,
  /**
   * Lambda on Arm (Graviton: every function of the stack is arm64, lib/constructs/engine-function.ts),
   * per million requests and per GB-second (x86 is $0.0000166667).
   */
  lambdaRequestPerMillion: 0.2,
  lambdaGbSecond: 0.0000133334,
  /** SQS standard queues, per million requests (each 64 KB chunk of a payload is one request). */
  sqsRequestPerMillion: 0.4,
  /** EventBridge custom events, per million (64 KB chunks). */
  eventBridgeEventPerMillion: 1.0,
  /** EventBridge Scheduler, per million invocations. */
  schedulerInvocationPerMillion: 1.0,
} as const;

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  usd: number;
}

export interface CostEstimate {
  usdTotal: number;
  prices: typeof PRICES;
  lines: CostLine[];
  /** How Lambda time was counted. */
  notes: string[];
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

/**
 * The bill of a run from its stack usage. Lambda time is the wall time each invocation took here,
 * against DynamoDB Local: an upper bound (DynamoDB answers in single-digit milliseconds).
 */
export function estimateCost(usage: StackUsage): CostEstimate {
  const lines: CostLine[] = [];
  const add = (item: string, quantity: number, unit: string, perMillion: number) =>
    lines.push({ item, quantity, unit, usd: round((quantity / 1e6) * perMillion) });

  add(
    'DynamoDB write request units',
    usage.dynamodb.totals.writeUnits,
    'WRU',
    PRICES.dynamodbWriteUnitPerMillion,
  );
  add(
    'DynamoDB read request units',
    usage.dynamodb.totals.readUnits,
    'RRU',
    PRICES.dynamodbReadUnitPerMillion,
  );
  const streamCalls = usage.streams.totals.requests;
  lines.push({ item: 'DynamoDB Streams reads by Lambda', quantity: streamCalls, unit: 'calls', usd: 0 });

  let invocations = 0;
  let gbSeconds = 0;
  for (const f of Object.values(usage.functions)) {
    invocations += f.invocations;
    gbSeconds += (f.ms / 1000) * (f.memoryMb / 1024);
  }
  add('Lambda requests', invocations, 'invocations', PRICES.lambdaRequestPerMillion);
  lines.push({
    item: 'Lambda compute',
    quantity: Math.round(gbSeconds * 1000) / 1000,
    unit: 'GB-s',
    usd: round(gbSeconds * PRICES.lambdaGbSecond),
  });
  const sqsRequests = Object.values(usage.sqs).reduce((a, b) => a + b, 0);
  add('SQS requests', sqsRequests, 'requests', PRICES.sqsRequestPerMillion);
  add('EventBridge events', usage.eventBridge.putEvents, 'events', PRICES.eventBridgeEventPerMillion);
  add(
    'EventBridge Scheduler',
    usage.scheduler.invocations,
    'invocations',
    PRICES.schedulerInvocationPerMillion,
  );
  return {
    usdTotal: round(lines.reduce((sum, l) => sum + l.usd, 0)),
    prices: PRICES,
    lines,
    notes: [
      'Lambda GB-s: wall time of each invocation against DynamoDB Local, an upper bound.',
      'SQS requests: every API call the functions and event source mappings made (receives and deletes of the delivery workers excluded).',
      'Free tiers not deducted; delivery (SES, SNS, push) and storage excluded.',
    ],
  };
}

/** Request counts to price, from any source (the cost benchmark extrapolates them per customer). */
export interface Quantities {
  dynamodbReadUnits: number;
  dynamodbWriteUnits: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  sqsRequests: number;
  eventBridgeEvents: number;
  schedulerInvocations: number;
}

export const NO_QUANTITIES: Quantities = {
  dynamodbReadUnits: 0,
  dynamodbWriteUnits: 0,
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  sqsRequests: 0,
  eventBridgeEvents: 0,
  schedulerInvocations: 0,
};

/** `a + factor × b`, field by field. */
export function addQuantities(a: Quantities, b: Quantities, factor = 1): Quantities {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof Quantities)[]) out[k] += b[k] * factor;
  return out;
}

/** Quantities at list prices (PRICES), one line per service item; no free tier. */
export function priceQuantities(q: Quantities): { usdTotal: number; lines: CostLine[] } {
  const line = (item: string, quantity: number, unit: string, usd: number): CostLine => ({
    item,
    quantity,
    unit,
    usd: round(usd),
  });
  const perMillion = (n: number, price: number) => (n / 1e6) * price;
  const lines = [
    line(
      'DynamoDB write request units',
      q.dynamodbWriteUnits,
      'WRU',
      perMillion(q.dynamodbWriteUnits, PRICES.dynamodbWriteUnitPerMillion),
    ),
    line(
      'DynamoDB read request units',
      q.dynamodbReadUnits,
      'RRU',
      perMillion(q.dynamodbReadUnits, PRICES.dynamodbReadUnitPerMillion),
    ),
    line(
      'Lambda requests',
      q.lambdaInvocations,
      'invocations',
      perMillion(q.lambdaInvocations, PRICES.lambdaRequestPerMillion),
    ),
    line('Lambda compute', q.lambdaGbSeconds, 'GB-s', q.lambdaGbSeconds * PRICES.lambdaGbSecond),
    line('SQS requests', q.sqsRequests, 'requests', perMillion(q.sqsRequests, PRICES.sqsRequestPerMillion)),
    line(
      'EventBridge events',
      q.eventBridgeEvents,
      'events',
      perMillion(q.eventBridgeEvents, PRICES.eventBridgeEventPerMillion),
    ),
    line(
      'EventBridge Scheduler',
      q.schedulerInvocations,
      'invocations',
      perMillion(q.schedulerInvocations, PRICES.schedulerInvocationPerMillion),
    ),
  ];
  return { usdTotal: round(lines.reduce((sum, l) => sum + l.usd, 0)), lines };
}
