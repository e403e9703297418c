/**
 * The embedded runtime's driver (a `Runner`, like the in-memory `runEvents`): events go onto the bus at
 * their own time, the clock moving there first so every schedule due on the way fires (dispatch every
 * 15 minutes, the daily sweep), and the stack settles after each instant. The replenishment model is
 * refitted from the purchases seen every `refitEveryDays` (30): in AWS that is a new model file and a
 * deploy; the nightly sweep then re-indexes the customers whose days moved.
 */
import type { EngineContext } from '../../functions/domain/engine.ts';
import type { BusEvent } from '../aws/eventbridge.ts';
import { DEFAULT_ACCOUNT, DEFAULT_REGION } from '../aws/lambda.ts';
import type { EventSource, RunnerOptions, SimulationResult } from '../memory-simulation.ts';
import { statsFrom } from '../memory-simulation.ts';
import { ModelRefits } from '../model-refits.ts';
import { RunRecorder } from '../run-recorder.ts';
import type { EmbeddedStackOptions, StackUsage } from './stack.ts';
import { EmbeddedStack } from './stack.ts';

export interface EmbeddedResult extends SimulationResult {
  usage: StackUsage;
  heldAtEnd: number;
}

/** A recorded envelope as EventBridge delivers it (files may omit version, account, region, resources). */
function busEvent(raw: object): BusEvent {
  return {
    version: '0',
    account: DEFAULT_ACCOUNT,
    region: DEFAULT_REGION,
    resources: [],
    ...raw,
  } as unknown as BusEvent;
}

/** Runs the source on a new embedded stack (`stack`: more of its options, e.g. a small due page). */
export async function runEmbedded(
  source: EventSource,
  options: RunnerOptions,
  stack: Pick<EmbeddedStackOptions, 'duePageLimit' | 'dueShards'> = {},
): Promise<EmbeddedResult> {
  const recorder = options.recorder ?? new RunRecorder(options.pack);
  const started = await EmbeddedStack.start({
    ...stack,
    pack: options.pack,
    startMs: options.startMs,
    recorder,
    ...(options.onMessage === undefined ? {} : { onMessage: options.onMessage }),
  });
  try {
    return await driveEmbedded(started, recorder, source, options);
  } finally {
    await started.stop();
  }
}

/** Drives a started stack through the source up to `options.endMs` (the stack is left running). */
export async function driveEmbedded(
  stack: EmbeddedStack,
  recorder: RunRecorder,
  source: EventSource,
  options: RunnerOptions,
): Promise<EmbeddedResult> {
  const ctx: EngineContext = stack.ctx;
  const refits = new ModelRefits(options.startMs, options.refitEveryDays);
  if (options.recordFromMs !== undefined) recorder.recordFrom(options.recordFromMs, () => stack.clock.now());
  const history = new Set<string>();
  let events = 0;
  let seen = 0;
  const end = options.endMs;
  while (source.peekAt() <= end) {
    const at = source.peekAt();
    while (refits.nextAt <= at) {
      await stack.advanceTo(refits.nextAt);
      ctx.model = refits.fit();
    }
    // One timer at a time: a scheduled run may give the shop an earlier event than `at` (a customer
    // opening the message it queued), which goes in first, at its own time, as the in-memory runtime has it.
    const timer = stack.nextTimerAt();
    if (timer !== null && timer > stack.clock.now() && timer < at) {
      await stack.advanceTo(timer);
      continue;
    }
    await stack.advanceTo(at);
    const next = source.next(stack.clock.now());
    if (next === undefined) break;
    seen++;
    if (seen % 200 === 0) options.onProgress?.(Math.min(seen, source.total), source.total);
    if (!next.ok) {
      // An input the source wants delivered anyway goes on the bus: ingest rejects it.
      if (next.deliver !== undefined) await stack.putEvent(busEvent(next.deliver));
      else recorder.rejectedInput(next.record);
      if (source.peekAt() > at) await stack.settle();
      continue;
    }
    const event = next.event;
    // The shop's history counts each event once, however many times it is delivered.
    if (!history.has(event.id)) {
      history.add(event.id);
      events++;
      refits.observe(event);
      recorder.event(event);
    }
    if (next.raw === undefined) throw new Error(`event ${event.id}: the embedded runtime needs its envelope`);
    await stack.putEvent(busEvent(next.raw));
    // Events of the same instant share the ingest batch, as the mapping's batching window gives them.
    if (source.peekAt() > at) await stack.settle();
  }
  while (refits.nextAt <= end) {
    await stack.advanceTo(refits.nextAt);
    ctx.model = refits.fit();
  }
  await stack.advanceTo(end);
  // The run ends here: the stats λ writes the counts of the windows still open.
  await stack.closeWindows();
  options.onProgress?.(source.total, source.total);

  const usage = stack.usage();
  const heldAtEnd = await stack.heldCount();
  const customers = await stack.customerCount();
  const campaignStats = statsFrom(await stack.campaignStats(), options.recordFromMs);
  // The engine's own store requests, as the in-memory store counts them (the stats items are not; the
  // due entries are the index writes).
  const { stats: statsTable, due: dueTable } = stack.ddb.names;
  const op = (name: string) =>
    usage.dynamodb.operations.filter(
      (o) => o.operation === name && o.resource !== statsTable && o.resource !== dueTable,
    );
  const sum = (rows: { requests: number }[]) => rows.reduce((n, r) => n + r.requests, 0);
  const conflicts = op('PutItem').reduce((n, o) => n + (o.errors.ConditionalCheckFailedException ?? 0), 0);
  return {
    summary: recorder.summary,
    messages: recorder.messages,
    bonuses: recorder.bonuses,
    suppressed: recorder.suppressed,
    rejected: recorder.rejected,
    outputs: recorder.counts,
    events,
    customers,
    evaluations: usage.scheduledEvaluations,
    counts: {
      reads: sum(op('GetItem')) + sum(op('Query')) + sum(op('Scan')),
      writes: sum(op('PutItem')) + sum(op('UpdateItem')) + sum(op('BatchWriteItem')),
      conflicts,
      // Entries filed (batched: a request may carry several).
      indexWrites: usage.dynamodb.operations
        .filter((o) => o.resource === dueTable && o.operation === 'BatchWriteItem')
        .reduce((n, o) => n + o.entries, 0),
    },
    states: [],
    model: ctx.model,
    endMs: end,
    usage,
    heldAtEnd,
    campaignStats,
  };
}
