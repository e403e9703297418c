/**
 * In-process EventBridge bus on the stack's `Clock`: PutEvents (envelope with id, time, account,
 * region, resources), rules with event patterns (exact values, prefix, suffix, anything-but, numeric,
 * exists, equals-ignore-case, nested on `detail`), targets (a function, or a `LocalQueue` receiving the
 * envelope JSON as the body, as a bus → SQS rule delivers), and an archive of every event put, for replay.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import type { Clock } from './clock.ts';
import { DEFAULT_ACCOUNT, DEFAULT_REGION, deterministicUuid } from './lambda.ts';
import type { LocalQueue } from './sqs.ts';

export const MAX_PUT_ENTRIES = 10;
export const MAX_EVENT_BYTES = 256 * 1024;

/** A PutEvents request entry (the SDK's shape). */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  /** A JSON object, as a string. */
  Detail?: string;
  Time?: Date;
  Resources?: string[];
  EventBusName?: string;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
}

export type BusEvent = EventBridgeEvent<string, unknown> & { 'replay-name'?: string };

export type EventPattern = { readonly [key: string]: unknown };

export type FunctionTarget = (event: BusEvent) => unknown;

export interface QueueTarget {
  queue: LocalQueue;
  /** Where events the queue refused go (the target's DLQ); otherwise they are kept in `deliveryFailures`. */
  deadLetterQueue?: LocalQueue;
}

export type RuleTarget = FunctionTarget | QueueTarget;

export interface RuleDefinition {
  name: string;
  eventPattern: EventPattern;
  targets: readonly RuleTarget[];
  enabled?: boolean;
}

export interface DeliveryFailure {
  rule: string;
  eventId: string;
  error: unknown;
}

export class EventPatternError extends Error {
  override readonly name = 'InvalidEventPatternException';
}

// ---------------------------------------------------------------------------------------------------------
// Event patterns
// ---------------------------------------------------------------------------------------------------------

const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case']);
const NUMERIC_OPS = new Set(['<', '<=', '=', '>', '>=']);

/** CDK's camelCase top-level keys (`detailType`) → the event's keys (`detail-type`). */
export function normalizePattern(pattern: EventPattern): EventPattern {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    out[key === 'detailType' ? 'detail-type' : key] = value;
  }
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws `InvalidEventPatternException` for a pattern EventBridge would refuse. */
export function validatePattern(pattern: EventPattern, path = ''): void {
  if (!isPlainObject(pattern) || Object.keys(pattern).length === 0) {
    throw new EventPatternError(`${path || 'pattern'}: must be a non-empty object`);
  }
  for (const [key, value] of Object.entries(pattern)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (isPlainObject(value)) {
      validatePattern(value, at);
      continue;
    }
    if (!Array.isArray(value) || value.length === 0) {
      throw new EventPatternError(`${at}: match values must be a non-empty array`);
    }
    for (const matcher of value) validateMatcher(matcher, at);
  }
}

function validateMatcher(matcher: unknown, at: string): void {
  if (matcher === null || ['string', 'number', 'boolean'].includes(typeof matcher)) return;
  if (!isPlainObject(matcher))
    throw new EventPatternError(`${at}: unsupported matcher ${JSON.stringify(matcher)}`);
  const keys = Object.keys(matcher);
  const op = keys[0];
  if (keys.length !== 1 || op === undefined || !OPERATORS.has(op)) {
    throw new EventPatternError(`${at}: unsupported matcher ${JSON.stringify(matcher)}`);
  }
  const arg = matcher[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new EventPatternError(`${at}: ${op} takes a string`);
      return;
    case 'exists':
      if (typeof arg !== 'boolean') throw new EventPatternError(`${at}: exists takes true or false`);
      return;
    case 'anything-but': {
      const ok =
        typeof arg === 'string' ||
        typeof arg === 'number' ||
        (Array.isArray(arg) &&
          arg.length > 0 &&
          arg.every((v) => typeof v === 'string' || typeof v === 'number')) ||
        (isPlainObject(arg) && Object.keys(arg).length === 1 && typeof arg.prefix === 'string');
      if (!ok) throw new EventPatternError(`${at}: anything-but takes a value, a list or { prefix }`);
      return;
    }
    case 'numeric': {
      if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) {
        throw new EventPatternError(`${at}: numeric takes one or two [operator, number] pairs`);
      }
      for (let i = 0; i < arg.length; i += 2) {
        if (!NUMERIC_OPS.has(String(arg[i])) || typeof arg[i + 1] !== 'number') {
          throw new EventPatternError(`${at}: numeric takes one or two [operator, number] pairs`);
        }
      }
      return;
    }
  }
}

function matchLeaf(matcher: unknown, present: boolean, value: unknown): boolean {
  if (!isPlainObject(matcher)) {
    // Exact: strict type (5 does not match "5"); null matches a present null.
    return present && value === matcher;
  }
  if ('exists' in matcher) {
    const isLeaf = present && !isPlainObject(value);
    return matcher.exists === true ? isLeaf : !present;
  }
  if (!present) return false;
  if ('prefix' in matcher) return typeof value === 'string' && value.startsWith(String(matcher.prefix));
  if ('suffix' in matcher) return typeof value === 'string' && value.endsWith(String(matcher.suffix));
  if ('equals-ignore-case' in matcher) {
    return (
      typeof value === 'string' && value.toLowerCase() === String(matcher['equals-ignore-case']).toLowerCase()
    );
  }
  if ('anything-but' in matcher) {
    const arg = matcher['anything-but'];
    if (isPlainObject(arg)) return typeof value === 'string' && !value.startsWith(String(arg.prefix));
    const excluded = Array.isArray(arg) ? arg : [arg];
    return (typeof value === 'string' || typeof value === 'number') && !excluded.includes(value);
  }
  if ('numeric' in matcher) {
    if (typeof value !== 'number') return false;
    const conds = matcher.numeric as unknown[];
    for (let i = 0; i < conds.length; i += 2) {
      const bound = conds[i + 1] as number;
      switch (conds[i]) {
        case '<':
          if (!(value < bound)) return false;
          break;
        case '<=':
          if (!(value <= bound)) return false;
          break;
        case '=':
          if (value !== bound) return false;
          break;
        case '>':
          if (!(value > bound)) return false;
          break;
        case '>=':
          if (!(value >= bound)) return false;
          break;
      }
    }
    return true;
  }
  return false;
}

function matchField(matchers: readonly unknown[], present: boolean, value: unknown): boolean {
  // An array in the event matches when any of its elements does.
  if (present && Array.isArray(value)) {
    return matchers.some((m) =>
      isPlainObject(m) && 'exists' in m ? m.exists === true : value.some((v) => matchLeaf(m, true, v)),
    );
  }
  return matchers.some((m) => matchLeaf(m, present, value));
}

/** Whether `event` matches `pattern` (every key of the pattern; any value of each key's list). */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const target = isPlainObject(event) ? event : {};
  for (const [key, expected] of Object.entries(pattern)) {
    const present = Object.hasOwn(target, key) && target[key] !== undefined;
    const value = present ? target[key] : undefined;
    if (isPlainObject(expected)) {
      if (!matchesPattern(expected, present && isPlainObject(value) ? value : {})) return false;
      continue;
    }
    if (!matchField(expected as unknown[], present, value)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// The bus
// ---------------------------------------------------------------------------------------------------------

interface Rule {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly targets: readonly RuleTarget[];
  enabled: boolean;
}

export interface LocalEventBusOptions {
  name?: string;
  account?: string;
  region?: string;
  /**
   * Keep every event put for `archive()` and `replay()` (default true). A long run that reads neither
   * passes false: the archive would hold every event of the run.
   */
  archive?: boolean;
}

/** EventBridge's `time`: ISO 8601 to the second, UTC. */
export const eventTime = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function entrySize(entry: PutEventsEntry): number {
  let size = entry.Time === undefined ? 0 : 14;
  for (const s of [entry.Source, entry.DetailType, entry.Detail])
    if (s !== undefined) size += Buffer.byteLength(s, 'utf8');
  for (const r of entry.Resources ?? []) size += Buffer.byteLength(r, 'utf8');
  return size;
}

export class LocalEventBus {
  readonly name: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  /** Events a target could not take, when the target has no DLQ. */
  readonly deliveryFailures: DeliveryFailure[] = [];
  /** PutEvents calls made. */
  putEventsCalls = 0;

  private readonly rules = new Map<string, Rule>();
  private readonly archived: BusEvent[] = [];
  private readonly archiving: boolean;
  private seq = 0;

  constructor(
    readonly clock: Clock,
    options: LocalEventBusOptions = {},
  ) {
    this.name = options.name ?? 'default';
    this.archiving = options.archive ?? true;
    this.account = options.account ?? DEFAULT_ACCOUNT;
    this.region = options.region ?? DEFAULT_REGION;
    this.arn = `arn:aws:events:${this.region}:${this.account}:event-bus/${this.name}`;
  }

  /** PutRule + PutTargets. The pattern may use CDK's `detailType`. Replaces a rule of the same name. */
  putRule(definition: RuleDefinition): void {
    const pattern = normalizePattern(definition.eventPattern);
    validatePattern(pattern);
    this.rules.set(definition.name, {
      name: definition.name,
      pattern,
      targets: [...definition.targets],
      enabled: definition.enabled ?? true,
    });
  }

  removeRule(name: string): boolean {
    return this.rules.delete(name);
  }

  setRuleEnabled(name: string, enabled: boolean): void {
    const rule = this.rules.get(name);
    if (rule === undefined) throw new Error(`ResourceNotFoundException: rule ${name} does not exist`);
    rule.enabled = enabled;
  }

  /**
   * PutEvents: at most 10 entries, 256 KiB in all. Each valid entry becomes an event, is archived and is
   * delivered to the targets of every enabled rule it matches (awaited, in rule then target order).
   */
  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
    this.putEventsCalls++;
    if (entries.length === 0 || entries.length > MAX_PUT_ENTRIES) {
      throw new Error(
        `ValidationException: PutEvents takes 1 to ${MAX_PUT_ENTRIES} entries, got ${entries.length}`,
      );
    }
    const total = entries.reduce((sum, e) => sum + entrySize(e), 0);
    if (total > MAX_EVENT_BYTES) {
      throw new Error(
        `ValidationException: total size of the entries in the request is over the limit (${total} > ${MAX_EVENT_BYTES} bytes)`,
      );
    }
    const result: PutEventsResult = { FailedEntryCount: 0, Entries: [] };
    const accepted: BusEvent[] = [];
    for (const entry of entries) {
      const built = this.build(entry);
      if ('ErrorCode' in built) {
        result.FailedEntryCount++;
        result.Entries.push(built);
      } else {
        result.Entries.push({ EventId: built.id });
        accepted.push(built);
      }
    }
    for (const event of accepted) {
      if (this.archiving) this.archived.push(event);
      await this.deliver(event, undefined);
    }
    return result;
  }

  /**
   * Delivers an event that already has its envelope and id — a recorded or archived event, as an archive
   * replay does — to the matching rules, and archives it. Each call counts as one PutEvents entry.
   */
  async putEvent(event: BusEvent): Promise<void> {
    this.putEventsCalls++;
    if (this.archiving) this.archived.push(event);
    await this.deliver(event, undefined);
  }

  /** Every event put, in order (the archive). */
  archive(): readonly BusEvent[] {
    return this.archived;
  }

  /**
   * StartReplay: redelivers archived events with `time` in [fromMs, toMs) to the matching rules
   * (optionally only `ruleNames`), each marked with `replay-name`. Returns the events replayed.
   */
  async replay(options: {
    name: string;
    fromMs: number;
    toMs: number;
    ruleNames?: readonly string[];
  }): Promise<number> {
    const events = this.archived.filter((e) => {
      const t = Date.parse(e.time);
      return t >= options.fromMs && t < options.toMs;
    });
    const only = options.ruleNames === undefined ? undefined : new Set(options.ruleNames);
    for (const event of events) await this.deliver({ ...event, 'replay-name': options.name }, only);
    return events.length;
  }

  private build(entry: PutEventsEntry): BusEvent | { ErrorCode: string; ErrorMessage: string } {
    if (
      entry.EventBusName !== undefined &&
      entry.EventBusName !== this.name &&
      entry.EventBusName !== this.arn
    ) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Event bus ${entry.EventBusName} does not exist.`,
      };
    }
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      return {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameters Source, DetailType and Detail are required.',
      };
    }
    if (entrySize(entry) > MAX_EVENT_BYTES) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Entry size exceeds ${MAX_EVENT_BYTES} bytes.` };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (!isPlainObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const timeMs = entry.Time === undefined ? this.clock.now() : entry.Time.getTime();
    return {
      version: '0',
      id: deterministicUuid(this.arn, this.seq++),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.account,
      time: eventTime(timeMs),
      region: this.region,
      resources: [...(entry.Resources ?? [])],
      detail,
    };
  }

  private async deliver(event: BusEvent, only: ReadonlySet<string> | undefined): Promise<void> {
    for (const rule of this.rules.values()) {
      if (!rule.enabled || (only !== undefined && !only.has(rule.name))) continue;
      if (!matchesPattern(rule.pattern, event)) continue;
      for (const target of rule.targets) {
        try {
          if (typeof target === 'function') await target(event);
          else target.queue.send(JSON.stringify(event));
        } catch (error) {
          if (!this.toDeadLetterQueue(target, rule.name, event, error)) {
            this.deliveryFailures.push({ rule: rule.name, eventId: event.id, error });
          }
        }
      }
    }
  }

  /** The target's DLQ receives the event itself with ERROR_CODE / ERROR_MESSAGE / RULE_ARN attributes. */
  private toDeadLetterQueue(target: RuleTarget, ruleName: string, event: BusEvent, error: unknown): boolean {
    if (typeof target === 'function' || target.deadLetterQueue === undefined) return false;
    const text = (v: string) => ({ DataType: 'String', StringValue: v });
    try {
      target.deadLetterQueue.send(JSON.stringify(event), {
        attributes: {
          ERROR_CODE: text(error instanceof Error ? error.name : 'Error'),
          ERROR_MESSAGE: text(
            error instanceof Error ? error.message.slice(0, 1000) || 'error' : String(error),
          ),
          RULE_ARN: text(`arn:aws:events:${this.region}:${this.account}:rule/${this.name}/${ruleName}`),
          TARGET_ARN: text(target.queue.arn),
        },
      });
      return true;
    } catch {
      return false;
    }
  }
}
