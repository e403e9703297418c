/**
 * EventBridge Scheduler on the stack's `Clock`: `rate(N minutes|hours|days)` and `cron(min hour * * ? *)`
 * (UTC) with the minute/hour forms `lib/` uses — `*`, numbers, lists, plus ranges and `*\/step`.
 * Each occurrence fires the target with its scheduled instant; the next one is set before the target
 * runs, so a failing target does not stop the schedule.
 */
import type { ScheduleTrigger } from '../../lib/wiring.ts';
import type { Clock, Timer } from './clock.ts';

export type ScheduleSpec =
  | { kind: 'rate'; periodMs: number }
  | { kind: 'cron'; minutes: readonly number[]; hours: readonly number[]; expression: string };

export interface ScheduleFiring {
  scheduleName: string;
  /** The occurrence's instant (epoch ms), whatever the clock says while the target runs. */
  scheduledMs: number;
  /** ISO form, as Scheduler's `<aws.scheduler.scheduled-time>`. */
  scheduledTime: string;
  input: Readonly<Record<string, unknown>>;
}

export type ScheduleTarget = (firing: ScheduleFiring) => unknown;

const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

function parseField(field: string, min: number, max: number, what: string): number[] {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (m === null) throw new Error(`cron ${what}: unsupported field "${field}"`);
    const step = m[4] === undefined ? 1 : Number(m[4]);
    let from = min;
    let to = max;
    if (m[1] !== '*') {
      from = Number(m[2]);
      to = m[3] === undefined ? (m[4] === undefined ? from : max) : Number(m[3]);
    }
    if (step < 1 || from < min || to > max || from > to)
      throw new Error(`cron ${what}: "${part}" out of ${min}-${max}`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/** Parses `rate(…)` or `cron(…)`; throws for forms the stack does not use. */
export function parseScheduleExpression(expression: string): ScheduleSpec {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate !== null) {
    const n = Number(rate[1]);
    const unit = (rate[2] ?? '').replace(/s$/, '');
    const unitMs = RATE_UNITS[unit];
    if (unitMs === undefined || n < 1 || (n === 1) !== !(rate[2] ?? '').endsWith('s')) {
      throw new Error(`invalid rate expression: ${expression} (rate(1 minute), rate(15 minutes), …)`);
    }
    return { kind: 'rate', periodMs: n * unitMs };
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (cron === null) throw new Error(`unsupported schedule expression: ${expression}`);
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6)
    throw new Error(`cron takes 6 fields (min hour day month weekday year): ${expression}`);
  const [minute = '', hour = '', dayOfMonth, month, dayOfWeek, year] = fields;
  const any = (f: string | undefined) => f === '*' || f === '?';
  if (
    !any(dayOfMonth) ||
    !any(month) ||
    !any(dayOfWeek) ||
    !any(year) ||
    (dayOfMonth === '?') === (dayOfWeek === '?')
  ) {
    throw new Error(`only minute and hour fields are supported, the others must be * or ?: ${expression}`);
  }
  return {
    kind: 'cron',
    minutes: parseField(minute, 0, 59, 'minute'),
    hours: parseField(hour, 0, 23, 'hour'),
    expression,
  };
}

/** The Scheduler expression for a wiring schedule trigger (`cron(min hour * * ? *)`, UTC). */
export function wiringExpression(trigger: Pick<ScheduleTrigger, 'cron'>): string {
  return `cron(${trigger.cron.minute} ${trigger.cron.hour} * * ? *)`;
}

/**
 * The first occurrence strictly after `afterMs`. A rate schedule counts from `startMs` (its creation);
 * a cron schedule falls on whole UTC minutes.
 */
export function nextOccurrence(spec: ScheduleSpec, afterMs: number, startMs = afterMs): number {
  if (spec.kind === 'rate') {
    const periods = Math.floor((afterMs - startMs) / spec.periodMs) + 1;
    return startMs + Math.max(1, periods) * spec.periodMs;
  }
  const dayMs = 86_400_000;
  const dayStart = Math.floor(afterMs / dayMs) * dayMs;
  for (let day = 0; day < 2; day++) {
    for (const h of spec.hours) {
      for (const m of spec.minutes) {
        const t = dayStart + day * dayMs + h * 3_600_000 + m * 60_000;
        if (t > afterMs) return t;
      }
    }
  }
  throw new Error(`no occurrence found for ${spec.expression}`);
}

export interface ScheduleHandle {
  readonly name: string;
  readonly spec: ScheduleSpec;
  /** The next occurrence, or null once deleted. */
  nextFireMs(): number | null;
  /** Occurrences fired so far. */
  fired(): number;
  delete(): void;
}

export interface CreateScheduleOptions {
  input?: Readonly<Record<string, unknown>>;
  /** When the schedule starts (default now): a rate schedule fires first at start + period. */
  startMs?: number;
}

export class LocalScheduler {
  private readonly schedules = new Map<string, ScheduleHandle>();

  constructor(readonly clock: Clock) {}

  create(
    name: string,
    expression: string | ScheduleSpec,
    target: ScheduleTarget,
    options: CreateScheduleOptions = {},
  ): ScheduleHandle {
    if (this.schedules.has(name)) throw new Error(`ConflictException: schedule ${name} already exists`);
    const spec = typeof expression === 'string' ? parseScheduleExpression(expression) : expression;
    const startMs = options.startMs ?? this.clock.now();
    const input = options.input ?? {};
    let timer: Timer | null = null;
    let fired = 0;

    const arm = (afterMs: number) => {
      const at = nextOccurrence(spec, afterMs, startMs);
      timer = this.clock.at(at, async (atMs) => {
        arm(atMs);
        fired++;
        await target({
          scheduleName: name,
          scheduledMs: atMs,
          scheduledTime: new Date(atMs).toISOString(),
          input,
        });
      });
    };
    arm(Math.max(startMs, this.clock.now()) - (spec.kind === 'cron' ? 1 : 0));

    const handle: ScheduleHandle = {
      name,
      spec,
      nextFireMs: () => timer?.atMs ?? null,
      fired: () => fired,
      delete: () => {
        timer?.cancel();
        timer = null;
        this.schedules.delete(name);
      },
    };
    this.schedules.set(name, handle);
    return handle;
  }

  get(name: string): ScheduleHandle | undefined {
    return this.schedules.get(name);
  }

  list(): ScheduleHandle[] {
    return [...this.schedules.values()];
  }
}
