/**
 * A named progress marker: the instant up to which a periodic job has done its work (the dispatcher:
 * due buckets up to here were fanned out). Advanced with a conditional write, so two overlapping runs
 * cannot both claim the same range.
 */
export interface Watermark {
  /** The instant reached, or null before the first run. */
  read(name: string): Promise<number | null>;
  /** Moves `name` from `fromMs` to `toMs` if it is still at `fromMs`; false when another run moved it. */
  advance(name: string, fromMs: number | null, toMs: number): Promise<boolean>;
}
