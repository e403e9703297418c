/**
 * A request recorder for AWS SDK v3 clients: a middleware that counts every call per (service,
 * operation, table or queue) with its entries, attempts, errors and — for DynamoDB — the capacity units
 * the service reports. It asks DynamoDB for them (`ReturnConsumedCapacity: 'INDEXES'`, unless the
 * caller chose a value), so GSI writes are seen apart from table writes. The cost benchmark and the
 * local run summary read `snapshot()`.
 */

/** Any AWS SDK v3 client: its middleware stack is all the recorder touches. */
export interface RecordableClient {
  middlewareStack: { add: (...args: never[]) => void };
}

/** The part of the SDK's MiddlewareStack used here, without the per-client generics. */
interface LooseStack {
  add(middleware: unknown, options: { step: string; name: string; priority?: string }): void;
}

export interface OperationStats {
  service: string;
  operation: string;
  /** Table or queue name; '-' when the call names none (e.g. GetRecords). */
  resource: string;
  /** Calls made by the application (SDK retries not counted). */
  requests: number;
  /** HTTP attempts, SDK retries included. */
  attempts: number;
  /** Items or messages carried: batch entries, transaction items; 1 for a single-item call. */
  entries: number;
  /** Entries the service did not take: unprocessed batch items, failed SQS batch entries. */
  failedEntries: number;
  /** Bytes of SQS message bodies sent (SQS bills every started 64 KB of a request as one request). */
  payloadBytes: number;
  /** SQS billed requests: one per started 64 KB of each call's payload. */
  billedRequests: number;
  readUnits: number;
  writeUnits: number;
  /** Units per GSI, as reported with `INDEXES` (included in readUnits / writeUnits). */
  indexUnits: Record<string, number>;
  /** Failed calls by error name (e.g. ConditionalCheckFailedException). */
  errors: Record<string, number>;
}

export interface RecorderSnapshot {
  operations: OperationStats[];
  totals: { requests: number; attempts: number; readUnits: number; writeUnits: number; errors: number };
}

const CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
]);

const READ_OPERATIONS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

const SQS_CHUNK_BYTES = 64 * 1024;

type Json = Record<string, unknown>;

function isJson(v: unknown): v is Json {
  return typeof v === 'object' && v !== null;
}

function arrayOf(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function numberOf(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The queue name from a queue URL (its last path segment). */
function queueName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/** Resources a call touches, with the entries it carries for each. */
function resourcesOf(operation: string, input: Json): Map<string, number> {
  const out = new Map<string, number>();
  const add = (name: string, n: number) => out.set(name, (out.get(name) ?? 0) + n);
  if (typeof input.TableName === 'string') add(input.TableName, 1);
  else if (typeof input.QueueUrl === 'string') {
    add(queueName(input.QueueUrl), Array.isArray(input.Entries) ? input.Entries.length : 1);
  } else if (isJson(input.RequestItems)) {
    for (const [table, req] of Object.entries(input.RequestItems)) {
      add(table, Array.isArray(req) ? req.length : isJson(req) ? arrayOf(req.Keys).length : 0);
    }
  } else if (Array.isArray(input.TransactItems)) {
    for (const item of input.TransactItems) {
      if (!isJson(item)) continue;
      for (const part of Object.values(item)) {
        if (isJson(part) && typeof part.TableName === 'string') add(part.TableName, 1);
      }
    }
  } else if (typeof input.StreamArn === 'string') {
    // arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
    add(/:table\/([^/]+)/.exec(input.StreamArn)?.[1] ?? input.StreamArn, 1);
  }
  if (out.size === 0) add('-', operation === 'GetRecords' ? 0 : 1);
  return out;
}

function payloadBytesOf(input: Json): number {
  if (typeof input.MessageBody === 'string') return Buffer.byteLength(input.MessageBody, 'utf8');
  let sum = 0;
  for (const e of arrayOf(input.Entries)) {
    if (isJson(e) && typeof e.MessageBody === 'string') sum += Buffer.byteLength(e.MessageBody, 'utf8');
  }
  return sum;
}

function failedEntriesOf(output: Json): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of ['UnprocessedItems', 'UnprocessedKeys']) {
    const v = output[key];
    if (!isJson(v)) continue;
    for (const [table, req] of Object.entries(v)) {
      out.set(table, Array.isArray(req) ? req.length : isJson(req) ? arrayOf(req.Keys).length : 0);
    }
  }
  return out;
}

let recorders = 0;

export class RequestRecorder {
  private readonly stats = new Map<string, OperationStats>();
  private readonly name = `RequestRecorder${++recorders}`;
  private readonly attached = new WeakSet<object>();

  /** Adds the recorder to a client; every later call through it is counted. Idempotent per client. */
  attach<C extends RecordableClient>(client: C): C {
    if (this.attached.has(client)) return client;
    this.attached.add(client);
    const keysOf = new WeakMap<object, string[]>();
    const stack = client.middlewareStack as unknown as LooseStack;
    stack.add(
      (next: (args: { input: Json }) => Promise<{ output: Json }>, context: Json) =>
        async (args: { input: Json }) => {
          const service = String(context.clientName ?? 'unknown').replace(/(Document)?Client$/, '');
          const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
          let input = args.input;
          if (CAPACITY_OPERATIONS.has(operation) && input.ReturnConsumedCapacity === undefined) {
            input = { ...input, ReturnConsumedCapacity: 'INDEXES' };
          }
          const resources = resourcesOf(operation, input);
          const keys: string[] = [];
          const payload = service === 'SQS' ? payloadBytesOf(input) : 0;
          for (const [resource, entries] of resources) {
            const s = this.entry(service, operation, resource);
            s.requests++;
            s.entries += entries;
            s.payloadBytes += payload;
            if (service === 'SQS') s.billedRequests += Math.max(1, Math.ceil(payload / SQS_CHUNK_BYTES));
            keys.push(this.key(service, operation, resource));
          }
          keysOf.set(context, keys);
          try {
            const result = await next({ ...args, input });
            this.recordOutput(service, operation, resources, result.output);
            return result;
          } catch (error) {
            const name = error instanceof Error ? error.name : 'Error';
            for (const key of keys) {
              const s = this.stats.get(key);
              if (s !== undefined) s.errors[name] = (s.errors[name] ?? 0) + 1;
            }
            throw error;
          }
        },
      { step: 'initialize', name: this.name, priority: 'low' },
    );
    // Runs inside the SDK's retry loop: once per HTTP attempt.
    stack.add(
      (next: (args: unknown) => Promise<unknown>, context: Json) => async (args: unknown) => {
        for (const key of keysOf.get(context) ?? []) {
          const s = this.stats.get(key);
          if (s !== undefined) s.attempts++;
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: `${this.name}Attempts`, priority: 'low' },
    );
    return client;
  }

  snapshot(): RecorderSnapshot {
    const operations = [...this.stats.values()]
      .map((s) => structuredClone(s))
      .sort((a, b) =>
        this.key(a.service, a.operation, a.resource).localeCompare(
          this.key(b.service, b.operation, b.resource),
        ),
      );
    const totals = { requests: 0, attempts: 0, readUnits: 0, writeUnits: 0, errors: 0 };
    for (const s of operations) {
      totals.requests += s.requests;
      totals.attempts += s.attempts;
      totals.readUnits += s.readUnits;
      totals.writeUnits += s.writeUnits;
      totals.errors += Object.values(s.errors).reduce((a, b) => a + b, 0);
    }
    return { operations, totals };
  }

  /** The stats of one (service, operation, resource), or zeros when never called. */
  get(service: string, operation: string, resource: string): OperationStats {
    return structuredClone(
      this.stats.get(this.key(service, operation, resource)) ?? this.empty(service, operation, resource),
    );
  }

  reset(): void {
    this.stats.clear();
  }

  private key(service: string, operation: string, resource: string): string {
    return `${service}\u0000${operation}\u0000${resource}`;
  }

  private empty(service: string, operation: string, resource: string): OperationStats {
    return {
      service,
      operation,
      resource,
      requests: 0,
      attempts: 0,
      entries: 0,
      failedEntries: 0,
      payloadBytes: 0,
      billedRequests: 0,
      readUnits: 0,
      writeUnits: 0,
      indexUnits: {},
      errors: {},
    };
  }

  private entry(service: string, operation: string, resource: string): OperationStats {
    const key = this.key(service, operation, resource);
    let s = this.stats.get(key);
    if (s === undefined) {
      s = this.empty(service, operation, resource);
      this.stats.set(key, s);
    }
    return s;
  }

  private recordOutput(
    service: string,
    operation: string,
    resources: Map<string, number>,
    output: Json,
  ): void {
    const fallback = resources.keys().next().value ?? '-';
    const capacity = output.ConsumedCapacity;
    for (const c of Array.isArray(capacity) ? capacity : capacity === undefined ? [] : [capacity]) {
      if (!isJson(c)) continue;
      const s = this.entry(service, operation, typeof c.TableName === 'string' ? c.TableName : fallback);
      const total = numberOf(c.CapacityUnits);
      const reads = numberOf(c.ReadCapacityUnits);
      const writes = numberOf(c.WriteCapacityUnits);
      if (reads > 0 || writes > 0) {
        s.readUnits += reads;
        s.writeUnits += writes;
      } else if (READ_OPERATIONS.has(operation)) s.readUnits += total;
      else s.writeUnits += total;
      if (isJson(c.GlobalSecondaryIndexes)) {
        for (const [index, units] of Object.entries(c.GlobalSecondaryIndexes)) {
          if (isJson(units)) s.indexUnits[index] = (s.indexUnits[index] ?? 0) + numberOf(units.CapacityUnits);
        }
      }
    }
    for (const [resource, failed] of failedEntriesOf(output))
      this.entry(service, operation, resource).failedEntries += failed;
    const sqsFailed = arrayOf(output.Failed).length;
    if (sqsFailed > 0) this.entry(service, operation, fallback).failedEntries += sqsFailed;
  }
}
