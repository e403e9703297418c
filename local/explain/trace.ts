/**
 * One customer's run, step by step: `runEvents` with a trace that ingests only that customer's events
 * (every other event still reaches the replenishment model's refits, so predicted days come out as in
 * the full run) and records every step — the event, evaluation or sweep, the customer item before and
 * after, the decisions and the messages the relay queued.
 *
 * Plugged into `replayEvents` or `runMemorySimulation` as their runner, it sees the events exactly as
 * a replay or simulation does (validation `now`, order, window, engagement and offer-response
 * feedback of this customer's messages).
 */
import type { DomainEvent } from '../../functions/domain/events.ts';
import type { Runner, Step } from '../memory-simulation.ts';
import { runEvents } from '../memory-simulation.ts';

export type { Step, StepCause } from '../memory-simulation.ts';

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

/**
 * A runner that follows one customer and fills `trace`: `runEvents` with a trace that admits only that
 * customer's events (the others still reach the model's refits) and records every step.
 */
export function tracingRunner(trace: CustomerTrace): Runner {
  const mine = (e: DomainEvent) =>
    e.customerId === trace.customerId && (trace.brand === null || e.brand === trace.brand);
  return async (source, options) => {
    const result = await runEvents(source, {
      ...options,
      trace: {
        admit(event) {
          trace.allEvents++;
          if (!mine(event)) return false;
          trace.events.push(event);
          return true;
        },
        step(step) {
          trace.steps.push(step);
        },
      },
    });
    trace.startMs = options.startMs;
    trace.endMs = options.endMs;
    return result;
  };
}
