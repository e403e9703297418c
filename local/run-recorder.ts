/**
 * What a run leaves behind, shared by both runtimes: every message queued, every ledger entry written,
 * every suppression and every rejected input, counted per campaign (RunSummary) and either streamed to
 * the output files as they happen (`messages.jsonl`, `bonuses.jsonl`, `suppressed.jsonl`,
 * `rejected.jsonl`) or kept in memory (tests). Streaming keeps a two-year replay's memory flat.
 *
 * Campaign counts come from the customer item's own changes (`occurrenceChanges` of the old and new
 * image), as a stream consumer sees them in AWS.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { CampaignFile } from '../functions/domain/campaign.ts';
import type { CustomerState, LedgerEntry } from '../functions/domain/customer-state.ts';
import type { DomainEvent } from '../functions/domain/events.ts';
import type { Message } from '../functions/domain/message.ts';
import type { OccurrenceChange } from '../functions/domain/occurrence-changes.ts';
import { occurrenceChanges } from '../functions/domain/occurrence-changes.ts';
import { RunSummary } from './summary.ts';

export interface SuppressedRecord {
  occurrenceKey: string;
  customerId: string;
  campaignId: string;
  reason: string;
  at: string;
}

export interface RejectedRecord {
  /** The input file's line; null for an input the ingest function rejected (the rejected queue). */
  line: number | null;
  eventId: string | null;
  reason: string;
  /** The field path the rule applies to ('' for the whole line) and the rule's name. */
  path: string;
  rule: string;
}

/** Appends JSON lines to a file through a 1 MiB buffer. */
export class JsonlWriter {
  private readonly fd: number;
  private buffer = '';
  rows = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(row: unknown): void {
    this.buffer += `${JSON.stringify(row)}\n`;
    this.rows++;
    if (this.buffer.length > 1 << 20) this.flush();
  }

  flush(): void {
    if (this.buffer === '') return;
    writeSync(this.fd, this.buffer);
    this.buffer = '';
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Writes one JSON value per line, in chunks, so large outputs never become one huge string. */
export function writeJsonl(path: string, rows: Iterable<unknown>): void {
  const writer = new JsonlWriter(path);
  try {
    for (const row of rows) writer.write(row);
  } finally {
    writer.close();
  }
}

export const STREAMED_FILES = [
  'messages.jsonl',
  'bonuses.jsonl',
  'suppressed.jsonl',
  'rejected.jsonl',
] as const;

/** What the run observes besides the files: the measurement and the simulation's engagement feedback. */
export interface RunObserver {
  /** A valid shop event, just before the engine sees it. */
  event?(event: DomainEvent): void;
  /** An occurrence record a customer write stored (new, or rewritten with a new status). */
  occurrence?(change: OccurrenceChange): void;
  message?(message: Message): void;
  suppressed?(record: SuppressedRecord): void;
  bonus?(entry: LedgerEntry): void;
}

export interface RunRecorderOptions {
  /** Stream the outputs into this directory; without it they are kept in memory. */
  dir?: string;
  observers?: readonly RunObserver[];
}

export class RunRecorder {
  readonly summary = new RunSummary();
  /** Kept only when no directory was given. */
  readonly messages: Message[] = [];
  readonly bonuses: LedgerEntry[] = [];
  readonly suppressed: SuppressedRecord[] = [];
  readonly rejected: RejectedRecord[] = [];
  readonly counts = { messages: 0, bonuses: 0, suppressed: 0, rejected: 0 };
  private readonly writers: Record<'messages' | 'bonuses' | 'suppressed' | 'rejected', JsonlWriter> | null;
  private readonly observers: readonly RunObserver[];
  /** Before `fromMs` on the run's clock, nothing but rejected input is recorded (see `recordFrom`). */
  private from: { fromMs: number; now: () => number } | null = null;

  constructor(pack: CampaignFile, options: RunRecorderOptions = {}) {
    this.summary.register(pack.campaigns);
    this.observers = options.observers ?? [];
    if (options.dir === undefined) {
      this.writers = null;
    } else {
      mkdirSync(options.dir, { recursive: true });
      const dir = options.dir;
      this.writers = {
        messages: new JsonlWriter(join(dir, 'messages.jsonl')),
        bonuses: new JsonlWriter(join(dir, 'bonuses.jsonl')),
        suppressed: new JsonlWriter(join(dir, 'suppressed.jsonl')),
        rejected: new JsonlWriter(join(dir, 'rejected.jsonl')),
      };
    }
  }

  /**
   * Records the run from `fromMs` on the clock `now` (the runner's): what happens before it — a replay's
   * history before `--from` — builds the customers' state and leaves no output, no count and no
   * measurement. Rejected input is recorded whenever it comes (a bad line is a bad line).
   */
  recordFrom(fromMs: number, now: () => number): void {
    this.from = { fromMs, now };
  }

  private muted(): boolean {
    return this.from !== null && this.from.now() < this.from.fromMs;
  }

  /** A valid shop event, before the engine sees it (the measurement attributes its orders). */
  event(event: DomainEvent): void {
    if (this.muted()) return;
    for (const o of this.observers) o.event?.(event);
  }

  /** A message body queued on a channel queue. */
  message(message: Message): void {
    if (this.muted()) return;
    this.counts.messages++;
    this.summary.recordMessage(message);
    if (this.writers === null) this.messages.push(message);
    else this.writers.messages.write(message);
    for (const o of this.observers) o.message?.(message);
  }

  /** A ledger entry written. */
  bonus(entry: LedgerEntry): void {
    if (this.muted()) return;
    this.counts.bonuses++;
    if (this.writers === null) this.bonuses.push(entry);
    else this.writers.bonuses.write(entry);
    for (const o of this.observers) o.bonus?.(entry);
  }

  rejectedInput(record: RejectedRecord): void {
    this.counts.rejected++;
    if (this.writers === null) this.rejected.push(record);
    else this.writers.rejected.write(record);
  }

  /** One write of a customer item: counts its occurrence changes and records its suppressions. */
  customerWritten(previous: CustomerState | null, next: CustomerState): void {
    if (this.muted()) return;
    for (const change of occurrenceChanges(previous, next)) {
      const occ = change.occurrence;
      this.summary.recordOccurrence(occ);
      for (const o of this.observers) o.occurrence?.(change);
      const reason =
        occ.status === 'suppressed'
          ? occ.reason
          : occ.status === 'issued' && occ.reason !== null
            ? `message:${occ.reason}`
            : null;
      if (reason === null) continue;
      const record: SuppressedRecord = {
        occurrenceKey: change.occurrenceKey,
        customerId: change.customerId,
        campaignId: occ.campaignId,
        reason,
        at: occ.at,
      };
      this.counts.suppressed++;
      if (this.writers === null) this.suppressed.push(record);
      else this.writers.suppressed.write(record);
      for (const o of this.observers) o.suppressed?.(record);
    }
  }

  close(): void {
    if (this.writers === null) return;
    for (const w of Object.values(this.writers)) w.close();
  }
}
