/**
 * `replay`: a backtest of campaigns on recorded shop events. The file holds one EventBridge envelope per
 * line (JSONL, optionally gzipped), in any order. It is streamed twice, line by line: the first pass finds
 * the latest event time, so validation can use `now` = that time + 1 day (historic files are not "future"),
 * but never later than the wall clock (history cannot be dated after today: an event a year ahead is a
 * typo, and kept it would stretch the run by a year); the second validates every line against it,
 * rejecting bad lines (with line number, reason, field path and rule, and the event id when the line is
 * JSON with an id — never the line's contents, which may carry contacts; a line that is not valid UTF-8
 * is rejected too, not repaired) and keeping the rest. The valid events are sorted by event time (`at`;
 * ties by id), cut at `until`, then driven through the same runner as the simulation: ingested at their
 * own time, the dispatcher every 15 simulated minutes, relay on the change feed, model refits every 30
 * days. The events before `from` are the shop's history: they run
 * first and record nothing, so the window's outputs come from customers who bring their past with them
 * (a customer who ordered before the window is not welcomed to a first order in it).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { CampaignFile } from '../functions/domain/campaign.ts';
import type { DomainEvent } from '../functions/domain/events.ts';
import { parseEventLine } from '../functions/domain/events.ts';
import { MS_PER_DAY } from '../functions/domain/time.ts';
import type { EventSource, Runner, SimulationResult } from './memory-simulation.ts';
import { runEvents } from './memory-simulation.ts';
import { BUCKET_MS } from './memory-stores.ts';
import { RunRecorder } from './run-recorder.ts';

export interface ReplayOptions {
  /** Path of the JSONL file (`.gz` is decompressed on the fly). */
  eventsPath: string;
  pack: CampaignFile;
  /**
   * The backtest window, `from <= at < until` (ms since the epoch): outputs are recorded for it. The
   * events before `from` are the shop's history: applied first, so the customers come to the window with
   * their profiles, consents, orders and past rewards, and leave no output (unless `history` is false:
   * then they are dropped and the shop starts empty at `from`). Events from `until` on are dropped.
   */
  fromMs?: number;
  untilMs?: number;
  /** Apply the events before `fromMs` as history (default true). */
  history?: boolean;
  refitEveryDays?: number;
  onProgress?: (done: number, total: number) => void;
  /** Where the outputs go (default: kept in memory). */
  recorder?: RunRecorder;
  /** The runtime (default: in memory). */
  runner?: Runner;
  /** The wall clock, no validation `now` is later than (default `Date.now()`). */
  nowMs?: number;
}

export interface ReplayResult extends SimulationResult {
  /** Lines read from the file and the valid events among them. */
  lines: number;
  valid: number;
  /** Valid events before `from` applied as history (their outputs not recorded). */
  history: number;
  /** Valid events not applied: from `until` on, and before `from` without history. */
  outsideWindow: number;
  /** The `now` validation used: the latest event time + 1 day, or the wall clock when that is earlier. */
  validationNowMs: number;
  startMs: number;
}

/** Far enough ahead that the first pass rejects nothing for being in the future. */
const NO_FUTURE_LIMIT = 8.64e15 - MS_PER_DAY;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const NON_ASCII = /\P{ASCII}/u;

/**
 * The lines of the file, each decoded as UTF-8 on its own; null for a line that is not valid UTF-8 (a
 * lenient decoder would turn its bytes into U+FFFD and the event would pass, altered). Lines are split
 * on Latin-1 text, which maps bytes one to one: a UTF-8 sequence never contains a line-break byte.
 */
async function* linesOf(path: string): AsyncGenerator<string | null> {
  const file = createReadStream(path);
  const input = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  input.setEncoding('latin1');
  let first = true;
  for await (const bytes of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    let line: string | null = bytes;
    if (NON_ASCII.test(bytes)) {
      try {
        line = UTF8.decode(Buffer.from(bytes, 'latin1'));
      } catch {
        line = null;
      }
    }
    // A byte-order mark some editors write at the start of a UTF-8 file marks the file, not the event.
    yield first && line?.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
    first = false;
  }
}

const NOT_UTF8 = { reason: 'event: is not valid UTF-8', path: '', rule: 'invalid-utf8' };

const ID_SHAPE = /^[^\p{Cc}]{1,128}$/u;

/** The envelope id of a rejected line when it is JSON with a plausible id; nothing else of the line. */
function eventIdOf(line: string): string | null {
  if (line.length > 256 * 1024) return null;
  try {
    const raw: unknown = JSON.parse(line);
    if (typeof raw !== 'object' || raw === null) return null;
    const id: unknown = Reflect.get(raw, 'id');
    return typeof id === 'string' && ID_SHAPE.test(id) ? id : null;
  } catch {
    return null;
  }
}

const floorBucket = (ms: number) => Math.floor(ms / BUCKET_MS) * BUCKET_MS;
const ceilBucket = (ms: number) => Math.ceil(ms / BUCKET_MS) * BUCKET_MS;

export async function replayEvents(options: ReplayOptions): Promise<ReplayResult> {
  // Pass 1: the latest event time among the lines that are valid events.
  let maxAt = Number.NEGATIVE_INFINITY;
  for await (const line of linesOf(options.eventsPath)) {
    if (line === null) continue;
    const parsed = parseEventLine(line, NO_FUTURE_LIMIT);
    if (parsed.ok) maxAt = Math.max(maxAt, Date.parse(parsed.event.at));
  }
  const wallMs = options.nowMs ?? Date.now();
  const validationNowMs = Number.isFinite(maxAt) ? Math.min(maxAt + MS_PER_DAY, wallMs) : wallMs;

  // Pass 2: validate against that now; keep the events in the window.
  const recorder = options.recorder ?? new RunRecorder(options.pack);
  const kept: { ms: number; event: DomainEvent; line: string }[] = [];
  let lines = 0;
  let valid = 0;
  const from = options.fromMs ?? Number.NEGATIVE_INFINITY;
  const until = options.untilMs ?? Number.POSITIVE_INFINITY;
  const applyHistory = options.history ?? true;
  let history = 0;
  for await (const line of linesOf(options.eventsPath)) {
    lines++;
    if (line === null) {
      recorder.rejectedInput({ line: lines, eventId: null, ...NOT_UTF8 });
      continue;
    }
    const parsed = parseEventLine(line, validationNowMs);
    if (!parsed.ok) {
      const { reason, path, rule } = parsed;
      recorder.rejectedInput({ line: lines, eventId: eventIdOf(line), reason, path, rule });
      continue;
    }
    valid++;
    const ms = Date.parse(parsed.event.at);
    if (ms >= until || (ms < from && !applyHistory)) continue;
    if (ms < from) history++;
    kept.push({ ms, event: parsed.event, line });
  }
  kept.sort((a, b) => a.ms - b.ms || (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));

  const first = kept[0];
  const last = kept[kept.length - 1];
  // From the first event of the history, or from the window's start.
  const earliest = Math.min(
    options.fromMs ?? Number.POSITIVE_INFINITY,
    first?.ms ?? Number.POSITIVE_INFINITY,
  );
  const startMs = floorBucket(Number.isFinite(earliest) ? earliest : 0);
  // One bucket after the last event so the dispatcher runs once more; a window's end is rounded up so
  // every event before `until` is ingested.
  const endMs =
    options.untilMs !== undefined ? ceilBucket(options.untilMs) : ceilBucket((last?.ms ?? 0) + BUCKET_MS);
  let next = 0;
  const source: EventSource = {
    total: kept.length,
    peekAt: () => kept[next]?.ms ?? Number.POSITIVE_INFINITY,
    next() {
      const item = kept[next];
      if (item === undefined) return undefined;
      next++;
      // The envelope as recorded, for a runtime that puts it on the bus.
      return { ok: true, event: item.event, raw: JSON.parse(item.line) as object };
    },
  };
  const result = await (options.runner ?? runEvents)(source, {
    pack: options.pack,
    startMs,
    endMs: Math.max(endMs, startMs),
    ...(options.refitEveryDays === undefined ? {} : { refitEveryDays: options.refitEveryDays }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    // With history, the window's outputs alone are recorded (`from` is finite when there is history).
    ...(history === 0 ? {} : { recordFromMs: from }),
    recorder,
  });
  return {
    ...result,
    lines,
    valid,
    history,
    outsideWindow: valid - kept.length,
    validationNowMs,
    startMs,
  };
}
