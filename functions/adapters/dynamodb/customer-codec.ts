/**
 * CustomerState ⇄ customer item, and stream images → CustomerState.
 *
 * The state is stored as one binary attribute: its JSON, deflate-raw compressed with a preset
 * dictionary (state-dictionary.ts), after a byte naming the dictionary's version. Items are billed per
 * KB written (and every write of the item, the stream record and a failed conditional write are billed
 * on its size): a realistic state of 6–9 KB of JSON is about 1.5–1.9 KB deflated alone and 0.9–1.2 KB
 * with the dictionary. Items written before the dictionaries (attribute `z`, plain deflate-raw) are
 * still read. The version and the due instant stay plain attributes: conditions and the sweep read them.
 *
 * Stream images come in three shapes, all accepted: raw AttributeValue maps from the SDK (binary as
 * Uint8Array), raw maps from a Lambda event (binary as base64 strings), and unmarshalled objects.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { CustomerState } from '../../domain/customer-state.ts';
import { customerKey } from '../../domain/customer-state.ts';
import type { DecodeImage } from '../../ports/customer-image.ts';
import type { StoredCustomer } from '../../ports/customer-store.ts';
import { CURRENT_DICTIONARY, stateDictionary } from './state-dictionary.ts';
import { CUSTOMER_ATTRS as A } from './tables.ts';

export type Item = Record<string, AttributeValue>;

export class CustomerItemError extends Error {
  constructor(
    readonly pk: string | null,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`customer item ${pk ?? '(no key)'}: ${problem}`, options);
    this.name = 'CustomerItemError';
  }
}

/** The state attribute's bytes for a JSON text: the dictionary's version byte, then the deflated text. */
export function compressStateJson(json: string): Uint8Array {
  const dictionary = stateDictionary(CURRENT_DICTIONARY);
  const deflated = deflateRawSync(Buffer.from(json, 'utf8'), dictionary === undefined ? {} : { dictionary });
  const out = new Uint8Array(deflated.length + 1);
  out[0] = CURRENT_DICTIONARY;
  out.set(deflated, 1);
  return out;
}

export function encodeState(state: CustomerState): Uint8Array {
  return compressStateJson(JSON.stringify(state));
}

/**
 * The state of an item's state bytes: `legacy` for the attribute written before the dictionaries
 * (plain deflate-raw), else the versioned form {@link compressStateJson} writes.
 */
export function decodeState(bytes: Uint8Array, pk: string | null = null, legacy = false): CustomerState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(inflateState(bytes, pk, legacy));
  } catch (error) {
    if (error instanceof CustomerItemError) throw error;
    throw new CustomerItemError(pk, 'state attribute is not deflated JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null)
    throw new CustomerItemError(pk, 'state is not an object');
  const s = parsed as Partial<CustomerState>;
  if (typeof s.brand !== 'string' || typeof s.customerId !== 'string' || typeof s.version !== 'number') {
    throw new CustomerItemError(pk, 'state lacks brand, customerId or version');
  }
  // Written by encodeState from a CustomerState; the shape check above catches foreign items.
  return parsed as CustomerState;
}

function inflateState(bytes: Uint8Array, pk: string | null, legacy: boolean): string {
  if (legacy) return inflateRawSync(bytes).toString('utf8');
  const version = bytes[0];
  const dictionary = version === undefined ? undefined : stateDictionary(version);
  if (dictionary === undefined) {
    throw new CustomerItemError(
      pk,
      `state attribute names no known dictionary (first byte ${version ?? 'missing'})`,
    );
  }
  return inflateRawSync(bytes.subarray(1), { dictionary }).toString('utf8');
}

/** The full customer item for a PutItem (no `due` attribute when nothing is scheduled). */
export function encodeCustomer(state: CustomerState, dueMs: number | null): Item {
  return {
    [A.pk]: { S: customerKey(state.brand, state.customerId) },
    [A.version]: { N: String(state.version) },
    [A.state]: { B: encodeState(state) },
    ...(dueMs === null ? {} : { [A.due]: { N: String(dueMs) } }),
  };
}

/** A raw item from GetItem (or a raw stream image) to the stored customer. */
export function decodeCustomer(item: Item): StoredCustomer {
  const decoded = decodeImage(item);
  if (decoded === null) throw new CustomerItemError(null, 'empty item');
  return decoded;
}

// ---------------------------------------------------------------------------------------------
// Images of any shape

type Image = Readonly<Record<string, unknown>>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array);
}

/** The value of one attribute: a raw `{ S | N | B: … }` or an unmarshalled value. */
function raw(image: Image, name: string): unknown {
  const v = image[name];
  if (!isRecord(v)) return v;
  if ('S' in v) return v.S;
  if ('N' in v) return v.N;
  if ('B' in v) return v.B;
  if ('NULL' in v) return null;
  return v;
}

function stringOf(image: Image, name: string): string | null {
  const v = raw(image, name);
  return typeof v === 'string' ? v : null;
}

function numberOf(image: Image, name: string): number | null {
  const v = raw(image, name);
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

function bytesOf(image: Image, name: string): Uint8Array | null {
  const v = raw(image, name);
  if (v instanceof Uint8Array) return v;
  // A Lambda stream event carries binary attributes as base64 text.
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  return null;
}

/** The version of an image without inflating its state (null for a missing image). */
export function imageVersion(image: Image | null | undefined): number | null {
  return image === undefined || image === null ? null : numberOf(image, A.version);
}

/**
 * A stream image (or item) to the stored customer; null when the image is missing (INSERT has no
 * OldImage, REMOVE no NewImage) or empty.
 */
export function decodeImage(image: Image | null | undefined): StoredCustomer | null {
  if (image === undefined || image === null || Object.keys(image).length === 0) return null;
  const pk = stringOf(image, A.pk);
  const current = bytesOf(image, A.state);
  const legacy = current === null ? bytesOf(image, A.legacyState) : null;
  const bytes = current ?? legacy;
  const version = numberOf(image, A.version);
  if (pk === null || bytes === null || version === null) {
    throw new CustomerItemError(pk, `needs ${A.pk}, ${A.version} and ${A.state}`);
  }
  const state = decodeState(bytes, pk, legacy !== null);
  if (state.version !== version || customerKey(state.brand, state.customerId) !== pk) {
    throw new CustomerItemError(pk, `state (version ${state.version}) does not match the item (${version})`);
  }
  return { state, dueMs: numberOf(image, A.due) };
}

/**
 * The relay's port: a stream image (Lambda JSON) to the customer state; null for a missing image or an
 * item of the table that is not a customer item (no state attribute). A corrupt state throws.
 */
export const decodeCustomerImage: DecodeImage = (image) => {
  if (image === undefined || image === null) return null;
  if (image[A.state] === undefined && image[A.legacyState] === undefined) return null;
  return decodeImage(image)?.state ?? null;
};

/** The parts of a DynamoDB stream record this codec reads (SDK Streams API and Lambda events alike). */
export interface StreamRecordLike {
  eventName?: string;
  dynamodb?: {
    Keys?: Image;
    NewImage?: Image;
    OldImage?: Image;
    SequenceNumber?: string;
  };
}

export interface CustomerChange {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  pk: string;
  sequenceNumber: string | null;
  oldImage: StoredCustomer | null;
  newImage: StoredCustomer | null;
  /** True when only the due instant moved (same version): nothing for the relay to do. */
  indexMoveOnly: boolean;
}

/** Decodes a Customers stream record; the state is inflated only when the version changed. */
export function decodeStreamRecord(record: StreamRecordLike): CustomerChange {
  const { eventName } = record;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') {
    throw new CustomerItemError(null, `unknown stream event ${String(eventName)}`);
  }
  const d = record.dynamodb ?? {};
  const pk = (d.Keys && stringOf(d.Keys, A.pk)) ?? null;
  if (pk === null) throw new CustomerItemError(null, 'stream record without a key');
  const oldVersion = imageVersion(d.OldImage);
  const newVersion = imageVersion(d.NewImage);
  const indexMoveOnly = eventName === 'MODIFY' && oldVersion !== null && oldVersion === newVersion;
  return {
    eventName,
    pk,
    sequenceNumber: d.SequenceNumber ?? null,
    oldImage: indexMoveOnly ? null : decodeImage(d.OldImage),
    newImage: indexMoveOnly ? null : decodeImage(d.NewImage),
    indexMoveOnly,
  };
}

// ---------------------------------------------------------------------------------------------
// Size

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S, 'utf8');
  // About one byte per two significant digits, plus one.
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|^0+|0+$/g, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M !== undefined) return 3 + itemBytes(v.M) + Object.keys(v.M).length;
  if (v.L !== undefined) return 3 + v.L.reduce((sum, e) => sum + 1 + valueBytes(e), 0);
  return 0;
}

/** DynamoDB's size of an item (names + values): what write units and the 400 KB limit are counted on. */
export function itemBytes(item: Item): number {
  let total = 0;
  for (const [name, value] of Object.entries(item))
    total += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  return total;
}

/** Write units of one standard write of the item: one per started KB. */
export function writeUnits(item: Item): number {
  return Math.max(1, Math.ceil(itemBytes(item) / 1024));
}
