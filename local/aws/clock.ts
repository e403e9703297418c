/**
 * Time for the embedded stack. Nothing under `local/aws/` reads the wall clock: every module takes a
 * `Clock`. `SimulatedClock` only moves when told to and fires its timers in time order as it advances
 * (ties in the order they were set); `SystemClock` is real time, for a live local run.
 */
import { MinHeap } from './heap.ts';

/** A timer set with `Clock.at`. */
export interface Timer {
  /** The instant it fires at (epoch ms). */
  readonly atMs: number;
  /** Stops it from firing; a no-op once it fired. */
  cancel(): void;
}

/** Called with the instant the timer was set for (which is also `now()` while it runs). */
export type TimerCallback = (atMs: number) => unknown;

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` at `atMs` (immediately on the next advance when `atMs` is not after now). */
  at(atMs: number, fn: TimerCallback): Timer;
}

interface PendingTimer {
  readonly atMs: number;
  readonly seq: number;
  readonly fn: TimerCallback;
  cancelled: boolean;
}

function before(a: PendingTimer, b: PendingTimer): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

function assertTime(ms: number, what: string): void {
  if (!Number.isFinite(ms)) throw new RangeError(`${what} must be a finite number of epoch ms, got ${ms}`);
}

/**
 * A clock that moves only when advanced. `advanceTo`/`advanceBy` fire every timer due up to the target
 * in (time, set order), setting `now()` to each timer's instant while it runs and awaiting what it
 * returns; timers set by a callback fire in the same advance when they are due by the target.
 */
export class SimulatedClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private readonly timers = new MinHeap<PendingTimer>(before);
  private advancing = false;

  constructor(startMs = 0) {
    assertTime(startMs, 'startMs');
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  at(atMs: number, fn: TimerCallback): Timer {
    assertTime(atMs, 'atMs');
    const timer: PendingTimer = { atMs, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      atMs,
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Timers not yet fired nor cancelled. */
  pendingTimers(): number {
    return this.countLive();
  }

  /** The instant of the next live timer, or null. */
  nextTimerAt(): number | null {
    return this.peekLive()?.atMs ?? null;
  }

  /** Fires every timer due up to `targetMs` in order, then sets now to `targetMs`. Returns timers fired. */
  async advanceTo(targetMs: number): Promise<number> {
    assertTime(targetMs, 'targetMs');
    if (targetMs < this.nowMs) {
      throw new RangeError(`cannot move the clock back: now ${this.nowMs}, target ${targetMs}`);
    }
    if (this.advancing) throw new Error('the clock is already advancing (advance called from a timer?)');
    this.advancing = true;
    let fired = 0;
    try {
      for (;;) {
        const next = this.peekLive();
        if (next === undefined || next.atMs > targetMs) break;
        this.timers.pop();
        next.cancelled = true;
        if (next.atMs > this.nowMs) this.nowMs = next.atMs;
        fired++;
        await next.fn(next.atMs);
      }
      this.nowMs = targetMs;
    } finally {
      this.advancing = false;
    }
    return fired;
  }

  advanceBy(deltaMs: number): Promise<number> {
    assertTime(deltaMs, 'deltaMs');
    if (deltaMs < 0) throw new RangeError(`deltaMs must not be negative, got ${deltaMs}`);
    return this.advanceTo(this.nowMs + deltaMs);
  }

  /** Fires timers already due (at or before now) without moving the clock. */
  runDue(): Promise<number> {
    return this.advanceTo(this.nowMs);
  }

  private peekLive(): PendingTimer | undefined {
    for (let top = this.timers.peek(); top !== undefined; top = this.timers.peek()) {
      if (!top.cancelled) return top;
      this.timers.pop();
    }
    return undefined;
  }

  private countLive(): number {
    // Drain and refill: O(n log n), only used for diagnostics and tests.
    const live: PendingTimer[] = [];
    for (let t = this.timers.pop(); t !== undefined; t = this.timers.pop()) if (!t.cancelled) live.push(t);
    for (const t of live) this.timers.push(t);
    return live.length;
  }
}

/** Real time. Timers are `setTimeout`s (unref'd, so they never keep the process alive). */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  at(atMs: number, fn: TimerCallback): Timer {
    assertTime(atMs, 'atMs');
    const handle = setTimeout(
      () => {
        void Promise.resolve()
          .then(() => fn(atMs))
          .catch((error: unknown) => {
            process.nextTick(() => {
              throw error;
            });
          });
      },
      Math.max(0, atMs - Date.now()),
    );
    handle.unref();
    return { atMs, cancel: () => clearTimeout(handle) };
  }
}
