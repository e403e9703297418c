/**
 * The bad-input corpus: every malformed input the engine is proven to reject, by kind. Each case has a
 * unique id and the reason it must be rejected with; test/unit/bad-input-*.test.ts and
 * test/handlers/bad-input-*.test.ts run them, alone and in the middle of batches of valid input.
 */
import { CAMPAIGN_FILE_CASES } from './campaign-files.ts';
import { CLI_CASES } from './cli-args.ts';
import { EVENT_CASES } from './events.ts';
import { SQS_BODY_CASES } from './sqs-bodies.ts';
import { STREAM_CASES } from './stream-records.ts';
import type { CorpusCase, CorpusKind } from './types.ts';

export const CORPUS: Readonly<Record<CorpusKind, readonly CorpusCase[]>> = {
  event: EVENT_CASES,
  'sqs-body': SQS_BODY_CASES,
  'stream-record': STREAM_CASES,
  'campaign-file': CAMPAIGN_FILE_CASES,
  cli: CLI_CASES,
};

/** What the issue asks of the corpus: at least 50 cases in all, and this many of each kind. */
export const MINIMUM: Readonly<Record<CorpusKind | 'total', number>> = {
  event: 30,
  'sqs-body': 5,
  'stream-record': 5,
  'campaign-file': 8,
  cli: 5,
  total: 50,
};
