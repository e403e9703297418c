/**
 * One customer's run, step by step: a `Runner` (like `runEvents`, whose loop it follows) that ingests
 * only that customer's events and runs the dispatcher and the nightly sweep for them, through the same
 * use cases on in-memory stores, and records every step — the event, evaluation or sweep, the customer
 * item before and after, the decisions and the messages the relay queued. Every other event is still seen by the replenishment model's
 * refits, so predicted days come out as in the full run.
 *
 * Plugged into `replayEvents` or `runMemorySimulation` as their runner, it sees the events exactly as
 * a replay or simulation does (validation `now`, order, window, engagement and offer-response
 * feedback of this customer's messages).
 */
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import type { Decision, EngineContext, Outcome } from '../../functions/domain/engine.ts';
import { evaluateScheduled } from '../../functions/domain/engine.ts';
import type { DetailType, DomainEvent } from '../../functions/domain/events.ts';
import type { Message } from '../../functions/domain/message.ts';
import { relay } from '../../functions/domain/relay.ts';
import type { Ports } from '../../functions/use-cases/customer-use-cases.ts';
import {
  evaluateCustomer,
  ingestEvent,
  sweepCustomer,
} from '../../functions/use-cases/customer-use-cases.ts';
import type { FunctionId } from '../../lib/wiring.ts';
import { FUNCTIONS } from '../../lib/wiring.ts';
import type { ScheduleSpec } from '../aws/scheduler.ts';
import { nextOccurrence, parseScheduleExpression, wiringExpression } from '../aws/scheduler.ts';
import type { EventSource, Runner, RunnerOptions, SimulationResult } from '../memory-simulation.ts';
import { MemoryCustomerStore } from '../memory-stores.ts';
import { ModelRefits } from '../model-refits.ts';
import { RunRecorder } from '../run-recorder.ts';

/** What made a step happen: one of the customer's events, a dispatcher tick's evaluation or the nightly sweep. */
export type StepCause =
  | { kind: 'event'; eventId: string; detailType: DetailType; eventTime: string }
  | { kind: 'evaluation' }
  | { kind: 'sweep' };

export interface Step {
  /** The simulated clock when the step ran (ms). */
  atMs: number;
  cause: StepCause;
  brand: string;
  /** The customer item before (null: not stored yet) and after the step. */
  before: CustomerState | null;
  after: CustomerState;
  decisions: readonly Decision[];
  /** Messages the relay queued for this step's write. */
  messages: readonly Message[];
}

export interface CustomerTrace {
  customerId: string;
  /** Only this brand's item, when given; every brand's item of the customer id otherwise. */
  brand: string | null;
  steps: Step[];
  /** The customer's events (valid ones), in the order they were ingested. */
  events: DomainEvent[];
  /** Every valid event the run saw, and the run's span. */
  allEvents: number;
  startMs: number;
  endMs: number;
}

export function newTrace(customerId: string, brand: string | null): CustomerTrace {
  return { customerId, brand, steps: [], events: [], allEvents: 0, startMs: 0, endMs: 0 };
}

/** The schedule a function's wiring gives it (its first schedule trigger), as runEvents reads it. */
function wiredSchedule(fn: FunctionId): ScheduleSpec {
  const trigger = FUNCTIONS[fn].triggers.find((t) => t.kind === 'schedule');
  if (trigger === undefined) throw new Error(`the wiring gives ${fn} no schedule`);
  return parseScheduleExpression(wiringExpression(trigger));
}

/** A runner that follows one customer and fills `trace` (the run's result counts that customer only). */
export function tracingRunner(trace: CustomerTrace): Runner {
  return (source, options) => runTraced(source, options, trace);
}

async function runTraced(
  source: EventSource,
  options: RunnerOptions,
  trace: CustomerTrace,
): Promise<SimulationResult> {
  const store = new MemoryCustomerStore();
  const ports: Ports = { store };
  const ctx: EngineContext = { pack: options.pack, model: null };
  const recorder = options.recorder ?? new RunRecorder(options.pack);
  const mine = (e: DomainEvent) =>
    e.customerId === trace.customerId && (trace.brand === null || e.brand === trace.brand);
  let clock = options.startMs;
  let queued: Message[] = [];

  store.onChange((oldImage, newImage) => {
    const out = relay(oldImage, newImage, options.pack, new Date(clock).toISOString());
    recorder.customerWritten(oldImage, newImage);
    for (const entry of out.ledger) recorder.bonus(entry);
    for (const m of out.messages) {
      queued.push(m);
      recorder.message(m);
      options.onMessage?.(m);
    }
  });

  const step = async (
    brand: string,
    customerId: string,
    cause: StepCause,
    run: () => Promise<Outcome>,
  ): Promise<void> => {
    const before = await store.get(brand, customerId);
    queued = [];
    const outcome = await run();
    // Only steps that changed something: a quiet night's sweep or an empty evaluation says nothing.
    if (outcome.state === before && outcome.decisions.length === 0 && queued.length === 0) return;
    trace.steps.push({
      atMs: clock,
      cause,
      brand,
      before,
      after: outcome.state,
      decisions: outcome.decisions,
      messages: queued,
    });
  };

  const refits = new ModelRefits(clock, options.refitEveryDays);
  let evaluations = 0;
  let watermark = clock;
  const ingestUntil = async (limit: (at: number) => boolean) => {
    while (limit(source.peekAt())) {
      clock = Math.max(clock, source.peekAt());
      const next = source.next(clock);
      if (next === undefined) break;
      if (!next.ok) continue;
      const event = next.event;
      trace.allEvents++;
      refits.observe(event);
      if (!mine(event)) continue;
      trace.events.push(event);
      recorder.event(event);
      const cause: StepCause = {
        kind: 'event',
        eventId: event.id,
        detailType: event.type,
        eventTime: event.at,
      };
      await step(event.brand, event.customerId, cause, () => ingestEvent(ports, ctx, event, clock));
    }
  };
  // As runEvents: the dispatcher and the nightly sweep on the wiring's schedules, a model refit every
  // 30 days; events before an instant are ingested first.
  const dispatchAt = wiredSchedule('dispatch');
  const sweepAt = wiredSchedule('maintenance');
  let nextDispatch = nextOccurrence(dispatchAt, clock);
  let nextSweep = nextOccurrence(sweepAt, clock);
  for (;;) {
    const at = Math.min(nextDispatch, nextSweep, refits.nextAt);
    if (at > options.endMs) break;
    await ingestUntil((t) => t < at);
    clock = at;
    if (at === nextSweep) {
      for (const scanned of store.scan()) {
        const { brand, customerId } = scanned.state;
        // The sweep's decisions are evaluateScheduled's on the scanned item (pure): computed for the
        // trace, then the sweep runs as the maintenance function does.
        const decided = evaluateScheduled(scanned.state, ctx, at);
        await step(brand, customerId, { kind: 'sweep' }, async () => {
          await sweepCustomer(ports, ctx, scanned, at);
          const stored = await store.get(brand, customerId);
          const changed = stored !== null && stored !== scanned.state;
          return { ...decided, state: stored ?? scanned.state, decisions: changed ? decided.decisions : [] };
        });
      }
      nextSweep = nextOccurrence(sweepAt, at);
    } else if (at === nextDispatch) {
      const due = await store.due(watermark, at);
      watermark = at;
      for (const { brand, customerId } of due) {
        evaluations++;
        await step(brand, customerId, { kind: 'evaluation' }, () =>
          evaluateCustomer(ports, ctx, brand, customerId, at),
        );
      }
      nextDispatch = nextOccurrence(dispatchAt, at);
    } else {
      ctx.model = refits.fit();
    }
  }
  await ingestUntil((t) => t <= options.endMs);
  const states = [...store.all()];
  trace.startMs = options.startMs;
  trace.endMs = options.endMs;
  return {
    summary: recorder.summary,
    messages: recorder.messages,
    bonuses: recorder.bonuses,
    suppressed: recorder.suppressed,
    rejected: recorder.rejected,
    outputs: recorder.counts,
    events: trace.events.length,
    customers: states.length,
    evaluations,
    counts: {
      reads: store.counts.reads,
      writes: store.counts.writes,
      conflicts: store.counts.conflicts,
      indexWrites: store.counts.indexWrites,
    },
    states,
    model: ctx.model,
    endMs: options.endMs,
  };
}
