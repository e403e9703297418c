/**
 * Malformed records of the Customers table stream, as Lambda delivers them to the relay (binary
 * attributes in base64), decoded with the production codec (`decodeCustomerImage`). Each case builds
 * its record from a valid customer item, so only the named defect differs.
 *
 * A record the relay cannot act on fails alone (batchItemFailures names its sequence number); the event
 * source mapping retries it, bisecting, and sends it to the on-failure destination (relayFailures).
 * `STREAM_TOLERATED` lists records that look odd but are not defects: they are handled, not failed.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { compressStateJson, encodeCustomer } from '../../functions/adapters/dynamodb/customer-codec.ts';
import { CUSTOMER_ATTRS as A } from '../../functions/adapters/dynamodb/tables.ts';
import type { CustomerState } from '../../functions/domain/customer-state.ts';
import type { StreamImage } from '../../functions/ports/customer-image.ts';
import type { CorpusCase } from './types.ts';

/** A customer item as a Lambda stream image: binary values in base64. */
export function lambdaImage(state: CustomerState): StreamImage {
  const image: StreamImage = {};
  for (const [name, value] of Object.entries(encodeCustomer(state, null))) {
    if (value.B !== undefined) image[name] = { B: Buffer.from(value.B).toString('base64') };
    else if (value.S !== undefined) image[name] = { S: value.S };
    else if (value.N !== undefined) image[name] = { N: value.N };
  }
  return image;
}

export interface StreamRecordParts {
  eventName?: string;
  keys?: StreamImage;
  newImage?: StreamImage;
  oldImage?: StreamImage;
}

/** A stream record with Lambda's fields around the parts a case sets. */
export function streamRecord(sequenceNumber: string, parts: StreamRecordParts): DynamoDBRecord {
  const record = {
    eventID: `evt-${sequenceNumber}`,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-central-1',
    ...(parts.eventName === undefined ? {} : { eventName: parts.eventName }),
    dynamodb: {
      ApproximateCreationDateTime: 1741600860,
      ...(parts.keys === undefined ? {} : { Keys: parts.keys }),
      ...(parts.newImage === undefined ? {} : { NewImage: parts.newImage }),
      ...(parts.oldImage === undefined ? {} : { OldImage: parts.oldImage }),
      SequenceNumber: sequenceNumber,
      SizeBytes: 1024,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN:
      'arn:aws:dynamodb:eu-central-1:123456789012:table/customers/stream/2026-01-01T00:00:00.000',
  };
  // eventName is typed as the three valid names; the corpus needs the others too.
  return record as DynamoDBRecord;
}

/** A valid customer item: its state, its key and its image. */
export interface ValidItem {
  state: CustomerState;
  keys: StreamImage;
  image: StreamImage;
}

export type StreamOutcome =
  /** The record fails alone: `error` is the error's name, `message` words of its message. */
  | { outcome: 'failed'; error: string; message: string }
  /** Nothing to relay, nothing failed. */
  | { outcome: 'ignored' }
  /** Relayed like a clean record. */
  | { outcome: 'relayed' };

export interface StreamCase extends CorpusCase {
  build: (item: ValidItem) => StreamRecordParts;
  expect: StreamOutcome;
}

const deflated = (text: string) => Buffer.from(compressStateJson(text)).toString('base64');
const withAttr = (image: StreamImage, name: string, value: StreamImage[string]): StreamImage => ({
  ...image,
  [name]: value,
});

export const STREAM_CASES: StreamCase[] = [
  {
    id: 'sr-insert-without-new-image',
    description: 'an INSERT without NewImage (a KEYS_ONLY stream)',
    build: ({ keys }) => ({ eventName: 'INSERT', keys }),
    expect: { outcome: 'failed', error: 'InvalidStreamRecordError', message: 'INSERT without a NewImage' },
  },
  {
    id: 'sr-modify-without-new-image',
    description: 'a MODIFY with only the old image (an OLD_IMAGE stream)',
    build: ({ keys, image }) => ({ eventName: 'MODIFY', keys, oldImage: image }),
    expect: { outcome: 'failed', error: 'InvalidStreamRecordError', message: 'MODIFY without a NewImage' },
  },
  {
    id: 'sr-modify-without-old-image',
    description: 'a MODIFY with only the new image: every past message would look new',
    build: ({ keys, image }) => ({ eventName: 'MODIFY', keys, newImage: image }),
    expect: { outcome: 'failed', error: 'InvalidStreamRecordError', message: 'MODIFY without an OldImage' },
  },
  {
    id: 'sr-unknown-event-name',
    description: 'eventName UPSERT',
    build: ({ keys, image }) => ({ eventName: 'UPSERT', keys, newImage: image }),
    expect: { outcome: 'failed', error: 'InvalidStreamRecordError', message: 'unknown eventName "UPSERT"' },
  },
  {
    id: 'sr-missing-event-name',
    description: 'no eventName at all',
    build: ({ keys, image }) => ({ keys, newImage: image }),
    expect: { outcome: 'failed', error: 'InvalidStreamRecordError', message: 'unknown eventName null' },
  },
  {
    id: 'sr-corrupt-blob',
    description: 'a state attribute that is not deflate data',
    build: ({ keys, image }) => ({
      eventName: 'INSERT',
      keys,
      newImage: withAttr(image, A.state, {
        B: Buffer.concat([Buffer.from([1]), Buffer.from('definitely not deflate')]).toString('base64'),
      }),
    }),
    expect: {
      outcome: 'failed',
      error: 'CustomerItemError',
      message: 'state attribute is not deflated JSON',
    },
  },
  {
    id: 'sr-unknown-dictionary',
    description: 'a state attribute whose first byte names no dictionary this version knows',
    build: ({ keys, image }) => {
      const bytes = Buffer.from(image[A.state]?.B ?? '', 'base64');
      bytes[0] = 9;
      return {
        eventName: 'INSERT',
        keys,
        newImage: withAttr(image, A.state, { B: bytes.toString('base64') }),
      };
    },
    expect: {
      outcome: 'failed',
      error: 'CustomerItemError',
      message: 'names no known dictionary (first byte 9)',
    },
  },
  {
    id: 'sr-truncated-blob',
    description: 'a state attribute cut to half its bytes',
    build: ({ keys, image }) => {
      const bytes = Buffer.from(image[A.state]?.B ?? '', 'base64');
      const half = bytes.subarray(0, Math.floor(bytes.length / 2)).toString('base64');
      return { eventName: 'INSERT', keys, newImage: withAttr(image, A.state, { B: half }) };
    },
    expect: { outcome: 'failed', error: 'CustomerItemError', message: 'not deflated JSON' },
  },
  {
    id: 'sr-state-not-object',
    description: 'a state that inflates to the JSON number 42',
    build: ({ keys, image }) => ({
      eventName: 'INSERT',
      keys,
      newImage: withAttr(image, A.state, { B: deflated('42') }),
    }),
    expect: { outcome: 'failed', error: 'CustomerItemError', message: 'state is not an object' },
  },
  {
    id: 'sr-state-foreign-json',
    description: 'a state that is some other JSON object',
    build: ({ keys, image }) => ({
      eventName: 'INSERT',
      keys,
      newImage: withAttr(image, A.state, { B: deflated('{"orderId":"o-1","total":5}') }),
    }),
    expect: { outcome: 'failed', error: 'CustomerItemError', message: 'lacks brand, customerId or version' },
  },
  {
    id: 'sr-garbled-version',
    description: 'the version attribute as the text "one"',
    build: ({ keys, image }) => ({
      eventName: 'INSERT',
      keys,
      newImage: withAttr(image, A.version, { S: 'one' }),
    }),
    expect: { outcome: 'failed', error: 'CustomerItemError', message: 'needs' },
  },
  {
    id: 'sr-state-wrong-type',
    description: 'the state attribute as a string set',
    build: ({ keys, image }) => ({
      eventName: 'INSERT',
      keys,
      newImage: withAttr(image, A.state, { SS: ['a', 'b'] }),
    }),
    expect: { outcome: 'failed', error: 'CustomerItemError', message: 'needs' },
  },
  {
    id: 'sr-version-mismatch',
    description: 'an item version that is not the state version',
    build: ({ keys, image }) => ({
      eventName: 'INSERT',
      keys,
      newImage: withAttr(image, A.version, { N: '999' }),
    }),
    expect: { outcome: 'failed', error: 'CustomerItemError', message: 'does not match the item' },
  },
  {
    id: 'sr-non-customer-key',
    description: "a customer's state under a key that is not that customer's",
    build: ({ state, image }) => {
      const pk = `orders#${state.customerId}`;
      return { eventName: 'INSERT', keys: { [A.pk]: { S: pk } }, newImage: withAttr(image, A.pk, { S: pk }) };
    },
    expect: { outcome: 'failed', error: 'CustomerItemError', message: 'does not match the item' },
  },
];

/** Odd-looking records that are handled as they should be, not failed. */
export const STREAM_TOLERATED: StreamCase[] = [
  {
    id: 'sr-not-a-customer-item',
    description: 'an item of the table without a state attribute (not a customer)',
    build: () => ({
      eventName: 'INSERT',
      keys: { [A.pk]: { S: 'meta#watermark' } },
      newImage: { [A.pk]: { S: 'meta#watermark' }, [A.version]: { N: '1' } },
    }),
    expect: { outcome: 'ignored' },
  },
  {
    id: 'sr-unknown-attribute',
    description: 'a customer item with an attribute this version does not know (a later release added it)',
    build: ({ keys, image }) => ({
      eventName: 'INSERT',
      keys,
      newImage: withAttr(image, 'archivedAt', { N: '1741600860' }),
    }),
    expect: { outcome: 'relayed' },
  },
  {
    id: 'sr-remove',
    description: 'a REMOVE (TTL expiry) with only the old image',
    build: ({ keys, image }) => ({ eventName: 'REMOVE', keys, oldImage: image }),
    expect: { outcome: 'ignored' },
  },
];
