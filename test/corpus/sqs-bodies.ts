/**
 * Malformed SQS bodies, each run through both SQS consumers: the ingest queue (the body should be a shop
 * event: rejected to the rejected queue with path and rule, the record counts as processed) and the work
 * queue (the body should be `{ brand, customerId }`: the record fails with InvalidWorkItemError and the
 * queue's redrive policy moves it to the work DLQ after maxReceiveCount).
 */
import type { CorpusCase } from './types.ts';

export interface SqsBodyCase extends CorpusCase {
  body: string;
  expect: {
    /** The rejection by the ingest handler. */
    ingest: { path: string; rule: string };
    /** Words of the InvalidWorkItemError the evaluate handler fails the record with. */
    work: string;
  };
}

export const SQS_BODY_CASES: SqsBodyCase[] = [
  {
    id: 'sqs-not-json',
    description: 'an XML body',
    body: '<workItem customer="c-1"/>',
    expect: { ingest: { path: '', rule: 'invalid-json' }, work: 'not a work item (invalid JSON)' },
  },
  {
    id: 'sqs-empty',
    description: 'an empty body',
    body: '',
    expect: { ingest: { path: '', rule: 'empty' }, work: '(invalid JSON)' },
  },
  {
    id: 'sqs-whitespace',
    description: 'a body of whitespace and a newline',
    body: ' \n\t ',
    expect: { ingest: { path: '', rule: 'empty' }, work: '(invalid JSON)' },
  },
  {
    id: 'sqs-truncated',
    description: 'a work item cut off',
    body: '{"brand":"default","customerId":"c-',
    expect: { ingest: { path: '', rule: 'invalid-json' }, work: '(invalid JSON)' },
  },
  {
    id: 'sqs-bom',
    description: 'a byte-order mark before a valid work item',
    body: '\uFEFF{"brand":"default","customerId":"c-1"}',
    expect: { ingest: { path: '', rule: 'invalid-json' }, work: '(invalid JSON)' },
  },
  {
    id: 'sqs-array',
    description: 'a batch of work items in one body',
    body: '[{"brand":"default","customerId":"c-1"},{"brand":"default","customerId":"c-2"}]',
    expect: { ingest: { path: '', rule: 'type' }, work: '(body: invalid_type)' },
  },
  {
    id: 'sqs-missing-customer',
    description: 'a work item without customerId',
    body: '{"brand":"default"}',
    expect: { ingest: { path: 'detail-type', rule: 'required' }, work: '(customerId: invalid_type)' },
  },
  {
    id: 'sqs-numeric-customer',
    description: 'customerId as a number',
    body: '{"brand":"default","customerId":42}',
    expect: { ingest: { path: 'detail-type', rule: 'required' }, work: '(customerId: invalid_type)' },
  },
  {
    id: 'sqs-extra-key',
    description: 'a work item with a key the contract does not have',
    body: '{"brand":"default","customerId":"c-1","priority":"high"}',
    expect: { ingest: { path: 'detail-type', rule: 'required' }, work: '(body: unrecognized_keys)' },
  },
  {
    id: 'sqs-proto',
    description: 'a work item carrying __proto__',
    body: '{"brand":"default","customerId":"c-1","__proto__":{"polluted":true}}',
    expect: { ingest: { path: '__proto__', rule: 'forbidden-key' }, work: '(body: unrecognized_keys)' },
  },
  {
    id: 'sqs-double-encoded',
    description: 'the work item JSON-encoded twice',
    body: JSON.stringify('{"brand":"default","customerId":"c-1"}'),
    expect: { ingest: { path: '', rule: 'type' }, work: '(body: invalid_type)' },
  },
];
