/**
 * A Lambda function of the engine with the project's defaults: ARM64, Node 22, local esbuild bundling
 * to ESM with source maps, its own log group with the stage's retention, X-Ray tracing, a role that
 * starts with nothing but its log group. `bindTable` / `bindQueue` set the environment variable and the
 * least-privilege grant together, so a function can never get a name without the permission or the
 * other way round.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { TableId } from '../../functions/adapters/dynamodb/tables.ts';
import { TABLE_ENV } from '../../functions/adapters/dynamodb/tables.ts';
import { ENV } from '../../functions/shared/env.ts';
import type { BundledFiles } from '../config/campaigns.ts';
import type { Config } from '../config/stages.ts';
import type { FunctionWiring, QueueAccess, QueueId, TableAccess } from '../wiring.ts';
import {
  BUNDLED_CAMPAIGNS_FILE,
  BUNDLED_MODEL_FILE,
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_SERVICE_NAME,
  QUEUES,
} from '../wiring.ts';

/** The repository root: entries, the lock file and the tsconfig are resolved from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface EngineFunctionProps {
  readonly wiring: FunctionWiring;
  readonly config: Config;
  readonly files: BundledFiles;
}

/** esbuild's ESM output has no `require`; CommonJS dependencies get one from the module URL. */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);";

export class EngineFunction extends NodejsFunction {
  readonly wiring: FunctionWiring;
  readonly logs: LogGroup;

  constructor(scope: Construct, id: string, props: EngineFunctionProps) {
    const { wiring, config, files } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `loyalty-triggers ${wiring.id}: only what lib/wiring.ts grants`,
    });
    const bundledFiles = wiring.campaigns ? files : undefined;
    super(scope, id, {
      entry: join(PROJECT_ROOT, wiring.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: wiring.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: config.memoryMb[wiring.id] ?? wiring.memoryMb,
      timeout: Duration.seconds(wiring.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        ...(bundledFiles === undefined ? {} : { [ENV.campaignsFile]: BUNDLED_CAMPAIGNS_FILE }),
        ...(bundledFiles?.modelFile === undefined
          ? {}
          : { [ENV.replenishmentModelFile]: BUNDLED_MODEL_FILE }),
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // Bundle the pinned SDK instead of relying on the runtime's copy.
        externalModules: [],
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) =>
            bundleFileCommands(outputDir, bundledFiles),
        },
      },
    });
    this.wiring = wiring;
    this.logs = logGroup;
    logGroup.grantWrite(role);
  }

  /**
   * Sets the table's name variable and grants `access` (none: the name only; the data layer reads
   * every table name, the role gets only what the wiring says).
   */
  bindTable(id: TableId, table: ITable, access: TableAccess | undefined): void {
    this.addEnvironment(TABLE_ENV[id], table.tableName);
    if (access === undefined) return;
    const actions = TABLE_ACTIONS[access];
    // The table itself only: no table has an index (tables.ts), so no `index/*` resource.
    this.addToRolePolicy(new PolicyStatement({ actions: [...actions], resources: [table.tableArn] }));
  }

  /**
   * Sets the queue's URL variable and grants sending, when the function sends to it. Consuming is
   * granted by the event source mapping (see the stateless stack).
   */
  bindQueue(id: QueueId, queue: IQueue, access: QueueAccess): void {
    if (access === 'consume') return;
    const urlEnv = QUEUES[id].urlEnv;
    if (urlEnv !== null) this.addEnvironment(urlEnv, queue.queueUrl);
    queue.grantSendMessages(this);
  }
}

const READ = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
];
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** The data-plane actions of each access level (no DescribeTable, no control plane). */
export const TABLE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  read: READ,
  write: WRITE,
  readWrite: [...READ, ...WRITE],
  update: ['dynamodb:UpdateItem'],
  batchPut: ['dynamodb:BatchWriteItem'],
  queryBatchPut: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
};

/** Shell commands copying the validated campaign file (and model) into the asset. */
function bundleFileCommands(outputDir: string, files: BundledFiles | undefined): string[] {
  if (files === undefined) return [];
  const dir = join(outputDir, 'campaigns');
  const commands = [`mkdir -p "${dir}"`, `cp "${files.campaignsFile}" "${join(dir, 'campaigns.yaml')}"`];
  if (files.modelFile !== undefined) {
    commands.push(`cp "${files.modelFile}" "${join(dir, 'replenishment-model.json')}"`);
  }
  return commands;
}
