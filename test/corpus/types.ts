/** What every corpus case has: a stable id (unique across the corpus) and what makes it malformed. */
export interface CorpusCase {
  id: string;
  description: string;
}

export type CorpusKind = 'event' | 'sqs-body' | 'stream-record' | 'campaign-file' | 'cli';
