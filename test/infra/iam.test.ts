/**
 * IAM: each function's role allows exactly the actions lib/wiring.ts gives it, on exactly those
 * resources; `*` only where AWS requires it (X-Ray, dynamodb:ListStreams).
 */
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../lib/app.ts';
import { TABLE_ACTIONS } from '../../lib/constructs/engine-function.ts';
import type { FunctionId } from '../../lib/wiring.ts';
import { FUNCTION_IDS, FUNCTIONS } from '../../lib/wiring.ts';
import { buildTestEngine, cleanUp } from './support.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let engine: Engine;
let service: Template;

beforeAll(() => {
  engine = buildTestEngine().engine;
  service = Template.fromStack(engine.service);
});
afterAll(cleanUp);

function statementsOf(fnId: FunctionId): Statement[] {
  const role = engine.service.functions[fnId].role;
  if (role === undefined) throw new Error(`${fnId} has no role`);
  const roleId = (engine.service as Stack).resolve((role.node.defaultChild as CfnRole).logicalId);
  const policies = service.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const SEND = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];
const CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];
const STREAM = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];

/** The exact set of actions the wiring implies for a function. */
function expectedActions(fnId: FunctionId): string[] {
  const fn = FUNCTIONS[fnId];
  const actions = new Set<string>([...XRAY, ...LOGS]);
  for (const access of Object.values(fn.tables)) for (const a of TABLE_ACTIONS[access]) actions.add(a);
  for (const access of Object.values(fn.queues)) {
    for (const a of access === 'consume' ? CONSUME : access === 'send' ? SEND : [...SEND, ...CONSUME])
      actions.add(a);
  }
  for (const trigger of fn.triggers) {
    if (trigger.kind === 'sqs') for (const a of CONSUME) actions.add(a);
    if (trigger.kind === 'stream')
      for (const a of [...STREAM, 'dynamodb:ListStreams', ...SEND]) actions.add(a);
  }
  return [...actions].sort();
}

describe('function roles', () => {
  it.each(FUNCTION_IDS)('%s gets exactly the actions its wiring needs', (fnId) => {
    const actions = new Set(statementsOf(fnId).flatMap(actionsOf));
    expect([...actions].sort()).toEqual(expectedActions(fnId));
  });

  it.each(FUNCTION_IDS)('%s: no wildcard actions, "*" resources only for X-Ray and ListStreams', (fnId) => {
    for (const statement of statementsOf(fnId)) {
      expect(statement.Effect).toBe('Allow');
      for (const action of actionsOf(statement)) expect(action).not.toContain('*');
      if (resourcesOf(statement).includes('*')) {
        expect(resourcesOf(statement)).toEqual(['*']);
        for (const action of actionsOf(statement))
          expect([...XRAY, 'dynamodb:ListStreams']).toContain(action);
      }
      for (const resource of resourcesOf(statement))
        expect(JSON.stringify(resource)).not.toMatch(/index\/\*/);
    }
  });

  it('gives table access only on the tables in the wiring', () => {
    const tableArn = (id: string) =>
      JSON.stringify(engine.service.resolve(engine.data.tables[id as 'customers'].tableArn));
    for (const fnId of FUNCTION_IDS) {
      const allowed = Object.keys(FUNCTIONS[fnId].tables).map(tableArn);
      const dynamo = statementsOf(fnId).filter((s) =>
        actionsOf(s).some(
          (a) => a.startsWith('dynamodb:') && !STREAM.includes(a) && a !== 'dynamodb:ListStreams',
        ),
      );
      for (const statement of dynamo) {
        const first = JSON.stringify(resourcesOf(statement)[0]);
        expect(allowed).toContain(first);
      }
      expect(dynamo).toHaveLength(allowed.length);
    }
  });

  it('lets only the stats λ touch the stats table, and only with UpdateItem', () => {
    const statsArn = JSON.stringify(engine.service.resolve(engine.data.tables.stats.tableArn));
    for (const fnId of FUNCTION_IDS) {
      const onStats = statementsOf(fnId).filter((s) =>
        resourcesOf(s).some((r) => JSON.stringify(r) === statsArn),
      );
      if (fnId !== 'stats') {
        expect(onStats, fnId).toEqual([]);
        continue;
      }
      expect(onStats).toHaveLength(1);
      expect(actionsOf(onStats[0] as Statement)).toEqual(['dynamodb:UpdateItem']);
      expect(resourcesOf(onStats[0] as Statement)).toHaveLength(1);
    }
  });

  it('lets the customers writers only file due entries (in batches), and only the dispatchers query them', () => {
    const dueArn = JSON.stringify(engine.service.resolve(engine.data.tables.due.tableArn));
    const onDue = (fnId: FunctionId) =>
      statementsOf(fnId).filter((s) => resourcesOf(s).some((r) => JSON.stringify(r) === dueArn));
    const expected: Record<FunctionId, string[][]> = {
      ingest: [['dynamodb:BatchWriteItem']],
      evaluate: [['dynamodb:BatchWriteItem']],
      // The maintenance λ reads a due wave's partitions, handed on by the dispatcher.
      maintenance: [['dynamodb:BatchWriteItem', 'dynamodb:Query']],
      dispatch: [['dynamodb:BatchWriteItem', 'dynamodb:Query']],
      relay: [],
      stats: [],
    };
    for (const fnId of FUNCTION_IDS) {
      const statements = onDue(fnId);
      expect(
        statements.map((s) => actionsOf(s).toSorted()),
        fnId,
      ).toEqual(expected[fnId]);
      // The table itself: it has no index to grant.
      for (const statement of statements) expect(resourcesOf(statement)).toHaveLength(1);
    }
  });

  it('grants no function a due index on the customers table: it has none', () => {
    const customers = engine.service.resolve(engine.data.tables.customers.tableArn);
    for (const fnId of FUNCTION_IDS) {
      for (const statement of statementsOf(fnId)) {
        if (!resourcesOf(statement).some((r) => JSON.stringify(r) === JSON.stringify(customers))) continue;
        expect(resourcesOf(statement), fnId).toHaveLength(1);
      }
    }
  });

  it('lets each schedule role invoke only its function', () => {
    const schedules = service.findResources('AWS::Scheduler::Schedule');
    expect(Object.keys(schedules)).toHaveLength(2);
    const policies = Object.values(service.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).some((s) =>
        actionsOf(s).includes('lambda:InvokeFunction'),
      ),
    );
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const [statement] = policy.Properties.PolicyDocument.Statement as Statement[];
      expect(statement?.Action).toBe('lambda:InvokeFunction');
      expect(resourcesOf(statement as Statement)).toHaveLength(1);
    }
  });
});
