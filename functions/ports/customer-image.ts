import type { AttributeValue } from 'aws-lambda';
import type { CustomerState } from '../domain/customer-state.ts';

/** An item image as a DynamoDB stream record carries it (Lambda's JSON: binary values in base64). */
export type StreamImage = Record<string, AttributeValue>;

/**
 * Decodes a Customers-table stream image into the customer state (the data layer owns the item codec).
 * Returns null for items of the table that are not customer items.
 */
export type DecodeImage = (image: StreamImage) => CustomerState | null;
