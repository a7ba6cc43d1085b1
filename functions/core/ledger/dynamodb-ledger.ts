/**
 * The operation ledger on DynamoDB: one item per operation (and one per restore job recorded), plain conditional
 * writes.
 *
 * Why not Powertools idempotency: it caches one function's result per payload. We need a multi-step state machine
 * whose every step moves on once, a submit claim that can be taken over when its holder died, and adoption of a
 * job that a dead attempt created: conditions on our own attributes express all three in one write each.
 *
 * The scheme (exactly-once effects over at-least-once SQS):
 * - Steps. The item holds `step` k and a random `stepToken` T; every internal message carries (k, T). Processing
 *   (k, T) does the step's work, then advances with one conditional write, `step = k AND stepToken = T AND no
 *   outcome` → `step = k+1, stepToken = T', previousToken = T, pending = <next message>, handedOff = false`, then
 *   sends (k+1, T') and marks `handedOff`. Of two deliveries of a message, one advances; the other gets a failed
 *   condition, drops its work and is not acknowledged (it comes back and finds the step done), so chains never fork.
 * - One write per poll. A poll (or wait hop) sends (k+1, T') first, at least 1 s ahead, and then advances with
 *   `handedOff = true` in the same write: the mark is true only once the message is out, as before. A message one
 *   step ahead of the item (its advance not written yet, or never: its writer died or lost the race) is held back
 *   (`STEP_NOT_RECORDED`, delivered again); once the step moved on with another token it is stale and dropped. The
 *   poll whose writer died is redelivered, reads Atlas again and advances with a new token. The start step keeps
 *   write, send, mark: a redelivered start must not send before it knows its claim and job.
 * - Lost sends. A message whose token is `previousToken` is a redelivery of a step whose follow-up send may have
 *   been lost: if `handedOff` is false it re-sends `pending` (k+1, T') without redoing the work; otherwise it is a
 *   duplicate and is dropped, so duplicate chains die within a step. Any other token is stale: dropped.
 * - Submit once. Before the POST, a conditional write takes the claim (`claimToken`, `claimedAt`; none held, or
 *   the expired one being taken over) and stores `priorJobIds`: the ids of the source's restore jobs that already
 *   restore the same thing (delivery type, snapshot or point in time, target), from the listing read before the
 *   claim. The job id is written with the advance, conditional on the claim. A later attempt that finds a claim
 *   without a job waits while the claim's lease (≥ the function timeout) runs, then lists the jobs again and adopts
 *   a matching one that is not in `priorJobIds` (one it already owns first, else the oldest unowned one), or takes
 *   the claim over and submits. Jobs are told apart
 *   by ids, never by creation time: our clock and Atlas's may disagree by minutes.
 * - One job, one operation. Before an operation records a job id (created or adopted), it puts `job#<restoreJobId>`
 *   naming itself, on `attribute_not_exists(pk) OR operationId = <itself>`: idempotent for the owner, refused for
 *   any other operation, which then looks for another match or submits its own. A crash between that put and the
 *   advance is harmless because adoption reads the owners of the matches first (`jobOwner`, consistent read) and
 *   takes the one it already owns before any unowned one: it never leaves its own job behind for an older match
 *   (another operation's unrecorded POST, or a job an operator started by hand). Two operations restoring the same thing at once never record one job.
 * - No outcome under a submission. `finish` also requires `attribute_not_exists(claimToken) OR
 *   attribute_exists(restoreJobId) OR claimToken = <the caller's>`: a concurrent copy cannot end an operation as
 *   failed while the other holds the claim and may be POSTing; it fails the condition and is delivered again.
 * - Outcome once, reported at least once. The outcome is written with `attribute_not_exists(outcome)` and this
 *   step's token; the writer reports it, then sets `reportedAt`. Should it die in between, a later delivery finds the
 *   outcome without `reportedAt` well after it was written (60 s), reports it, and then sets `reportedAt`. The rule:
 *   report first, mark after, everywhere. Marking first loses the report when the mark is applied but its answer
 *   lost (the SDK's retry fails its condition); reporting first can only report twice. Duplicates are harmless where
 *   they land: the outcome log line carries `operationId` (count distinct ids), the alarms on RestoreFailed and
 *   RestoreTimedOut fire on a sum ≥ 1 and SNS notifies on the alarm's state change only, the drill alarm wants at
 *   least one RestoreSucceeded, and a repeated duration sample has the same value.
 * - After the restore. When phases follow the job's end (verify, …; see workflow/after-restore.ts), the poll that
 *   sees it end advances with `restoreEnd` instead of finishing, and the last phase writes the outcome, once, as
 *   above. The verifier writes beside the chain, never on its step: `sourceInventory` and `verification` (the result,
 *   JSON) each on `attribute_not_exists`, so the first result wins, whether the verifier's or the `unknown` the chain
 *   records when it did not answer in time; the chain marks the request with `verificationRequestedAt`, a separate
 *   attribute, so it never overwrites a result recorded first.
 * - Retention. `expiresAt` (TTL) is pushed to now + LEDGER_RETENTION_DAYS by every advance and by the outcome, so
 *   an operation that lives is never deleted under its messages; the retention must exceed the longest maxWait by a
 *   day (both config validators refuse less). A message whose operation is unknown is dead-lettered with its reason.
 * - Timeout intent. With CANCEL_ON_TIMEOUT, a poll past the deadline first records `timeoutDecidedAt` (an advance)
 *   and cancels in the next step: a job found cancelled after that is this operation's timeout (RestoreTimedOut),
 *   whatever crash or concurrent poll came between the cancel and the outcome write.
 * - Atlas outages. A poll that meets a retryable Atlas failure (after the client's own retries) does not fail its
 *   message: it advances to a later poll, backing off (doubling to 15 min), so no receive is burned and the chain
 *   outlives any outage shorter than what is left of maxWait; past the deadline it ends as timed out. A start step
 *   still fails its message (nothing is submitted yet) and may reach the DLQ; moved back to the work queue once
 *   Atlas answers, it resumes where it stopped (retention ≥ the DLQ's 14 days keeps its operation).
 * - Ephemeral targets, one cluster per operation. Before createCluster, `claimEphemeralCluster` writes the cluster's
 *   record (`ephemeralCluster`, JSON: project, name, claim token and time) on `step = k AND stepToken = T AND
 *   attribute_not_exists(ephemeralCluster)`: one delivery creates; the record is also the ledger's word that this
 *   operation created that cluster, which the delete path requires. Creation, IDLE, teardown and deletion times are
 *   written with the steps' advances, the final record with the outcome.
 */
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { sourceInventory, verificationResult } from '../contract/verification.ts';
import type { Operation, PendingMessage, StepRef } from '../workflow/operation.ts';
import type { Finish, Ledger, OperationCounters, OperationUpdate } from '../workflow/ports.ts';
import { UpdateExpression } from './expression.ts';
import {
  fromItem,
  iso,
  jobKey,
  jobOwnerItem,
  OPERATION_KEY_PREFIX,
  operationKey,
  optionalIso,
  pendingFields,
  toItem,
} from './item.ts';

export const BY_CLUSTER_INDEX = 'byCluster';

export interface DynamoDbLedgerOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export function createDynamoDbLedger({ client, tableName }: DynamoDbLedgerOptions): Ledger {
  /** Runs a conditional update; false when the condition failed (someone else got there first). */
  async function conditionalUpdate(operationId: string, expression: UpdateExpression): Promise<boolean> {
    try {
      await client.send(
        new UpdateItemCommand({ TableName: tableName, Key: operationKey(operationId), ...expression.build() }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  function atStep(at: StepRef): UpdateExpression {
    return new UpdateExpression()
      .whereEquals('step', at.step)
      .whereEquals('stepToken', at.token)
      .whereAbsent('outcome');
  }

  function setPending(expression: UpdateExpression, pending: PendingMessage): void {
    for (const [name, value] of Object.entries(pendingFields(pending))) {
      if (value === undefined) expression.remove(name);
      else expression.set(name, value);
    }
  }

  function setUpdate(expression: UpdateExpression, update: OperationUpdate): void {
    expression
      .set('lastDeferReason', update.lastDeferReason)
      .set('claimToken', update.claimToken)
      .set('claimedAt', optionalIso(update.claimedAt))
      .set('firstClaimedAt', optionalIso(update.firstClaimedAt))
      .set('snapshotId', update.snapshotId)
      .set('snapshotAt', optionalIso(update.snapshotAt))
      .set('restoreJobId', update.restoreJobId)
      .set('submittedAt', optionalIso(update.submittedAt))
      .set('adopted', update.adopted)
      .set('restoreEnd', update.restoreEnd && JSON.stringify(update.restoreEnd))
      .set('verificationRequestedAt', optionalIso(update.verificationRequestedAt))
      .set('inventoryRequestedAt', optionalIso(update.inventoryRequestedAt))
      .set('expiresAt', update.expiresAt)
      .set('timeoutDecidedAt', optionalIso(update.timeoutDecidedAt))
      // Ephemeral drill target (issue 15).
      .set('ephemeralCluster', update.ephemeralCluster && JSON.stringify(update.ephemeralCluster));
    // 0 clears it: a poll reached Atlas again.
    if (update.outageSince === 0) expression.remove('outageSince');
    else expression.set('outageSince', optionalIso(update.outageSince));
  }

  function addCounters(expression: UpdateExpression, counters: OperationCounters): void {
    expression
      .add('polls', counters.polls)
      .add('atlasCalls', counters.atlasCalls)
      .add('deferAttempts', counters.deferAttempts);
  }

  /** Items by key, 100 a request (BatchGetItem's limit), unprocessed keys asked again; a key deleted since is absent. */
  async function batchGet(
    keys: Record<string, AttributeValue>[],
  ): Promise<Map<string, Record<string, AttributeValue>>> {
    const found = new Map<string, Record<string, AttributeValue>>();
    // Stryker disable next-line EqualityOperator: equivalent, at from = keys.length the slice is empty and no request is sent
    for (let from = 0; from < keys.length; from += 100) {
      let pending: Record<string, AttributeValue>[] | undefined = keys.slice(from, from + 100);
      // Stryker disable next-line AssignmentOperator: equivalent, the count only sets the wait before asking again
      for (let attempt = 0; pending !== undefined && pending.length > 0; attempt += 1) {
        // Stryker disable next-line ConditionalExpression,EqualityOperator,MethodExpression,ArithmeticOperator: equivalent, only how long it waits before asking again
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const page: BatchGetItemCommandOutput = await client.send(
          new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
        );
        // Stryker disable next-line OptionalChaining,ArrayDeclaration: equivalent, an answer has Responses with the table, and every item its key pk
        for (const item of page.Responses?.[tableName] ?? []) found.set(String(item.pk?.S), item);
        // Stryker disable next-line OptionalChaining: equivalent, an answer has UnprocessedKeys ({} when no key is left)
        pending = page.UnprocessedKeys?.[tableName]?.Keys;
      }
    }
    return found;
  }

  async function get(operationId: string): Promise<Operation | undefined> {
    const result = await client.send(
      new GetItemCommand({ TableName: tableName, Key: operationKey(operationId), ConsistentRead: true }),
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  return {
    get,

    async create(operation) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: toItem(operation),
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { created: true, operation };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const existing = error.Item ? fromItem(error.Item) : await get(operation.operationId);
        if (existing === undefined) throw error;
        return { created: false, operation: existing };
      }
    },

    async advance(at, next, update = {}, counters = {}, guard) {
      const expression = atStep(at)
        .set('step', at.step + 1)
        .set('stepToken', next.token)
        .set('previousToken', at.token)
        .set('handedOff', next.handedOff ?? false);
      if (guard?.claimToken !== undefined) expression.whereEquals('claimToken', guard.claimToken);
      else if (guard) expression.whereAny({ absent: 'claimToken' }, { exists: 'restoreJobId' });
      setPending(expression, next.pending);
      setUpdate(expression, update);
      addCounters(expression, counters);
      return conditionalUpdate(at.operationId, expression);
    },

    async claimEphemeralCluster(at, cluster) {
      return conditionalUpdate(
        at.operationId,
        atStep(at).whereAbsent('ephemeralCluster').set('ephemeralCluster', JSON.stringify(cluster)),
      );
    },

    async markHandedOff(operationId, token) {
      await conditionalUpdate(
        operationId,
        new UpdateExpression().set('handedOff', true).whereEquals('stepToken', token),
      );
    },

    async claim(at, claim, takeOver) {
      const expression = atStep(at)
        .set('claimToken', claim.token)
        .set('claimedAt', iso(claim.at))
        .setIfAbsent('firstClaimedAt', iso(claim.at))
        .set('priorJobIds', JSON.stringify(claim.priorJobIds))
        .set('snapshotAt', optionalIso(claim.snapshotAt));
      if (claim.inventoryRequestedAt !== undefined) {
        expression.setIfAbsent('inventoryRequestedAt', iso(claim.inventoryRequestedAt));
      }
      if (claim.snapshotId === undefined) expression.remove('snapshotId');
      else expression.set('snapshotId', claim.snapshotId);
      if (takeOver === undefined) expression.whereAbsent('claimToken');
      else expression.whereEquals('claimToken', takeOver);
      return conditionalUpdate(at.operationId, expression);
    },

    async releaseClaim(operationId, claimToken) {
      await conditionalUpdate(
        operationId,
        new UpdateExpression()
          .remove('claimToken')
          .remove('claimedAt')
          .remove('priorJobIds')
          .whereEquals('claimToken', claimToken),
      );
    },

    async ownJob(restoreJobId, owner) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: jobOwnerItem(restoreJobId, owner),
            ConditionExpression: 'attribute_not_exists(pk) OR #operationId = :owner',
            ExpressionAttributeNames: { '#operationId': 'operationId' },
            ExpressionAttributeValues: { ':owner': { S: owner.operationId } },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async jobOwner(restoreJobId) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: tableName, Key: jobKey(restoreJobId), ConsistentRead: true }),
      );
      if (Item === undefined) return undefined;
      // Stryker disable next-line OptionalChaining: equivalent, a job item is written with its operationId (jobOwnerItem)
      return Item.operationId?.S;
    },

    async finish(at, finish: Finish, counters = {}, holder) {
      const expression = atStep(at)
        .whereAny(
          { absent: 'claimToken' },
          { exists: 'restoreJobId' },
          ...(holder ? [{ equals: ['claimToken', holder.claimToken] as const }] : []),
        )
        .set('outcome', finish.outcome)
        .set('outcomeReason', finish.outcomeReason)
        .set('errorCode', finish.errorCode)
        .set('finishedAt', iso(finish.finishedAt))
        .set('rtoSeconds', finish.rtoSeconds)
        .set('rpoSeconds', finish.rpoSeconds)
        .set('snapshotId', finish.snapshotId)
        .set('snapshotAt', optionalIso(finish.snapshotAt))
        .set('outcomeRecordedAt', iso(finish.outcomeRecordedAt))
        .set('expiresAt', finish.expiresAt)
        .set('ephemeralCluster', finish.ephemeralCluster && JSON.stringify(finish.ephemeralCluster))
        .remove('pendingKind')
        .remove('pendingDueAt')
        .remove('pendingUntil')
        .remove('pendingNext');
      addCounters(expression, counters);
      return conditionalUpdate(at.operationId, expression);
    },

    async markReported(operationId, at) {
      return conditionalUpdate(
        operationId,
        new UpdateExpression().set('reportedAt', iso(at)).whereExists('outcome').whereAbsent('reportedAt'),
      );
    },

    async recordInventory(operationId, inventory) {
      return conditionalUpdate(
        operationId,
        new UpdateExpression()
          .set('sourceInventory', JSON.stringify(sourceInventory.parse(inventory)))
          .whereExists('pk')
          .whereAbsent('sourceInventory'),
      );
    },

    async recordVerification(operationId, result) {
      return conditionalUpdate(
        operationId,
        new UpdateExpression()
          .set('verification', JSON.stringify(verificationResult.parse(result)))
          .whereExists('pk')
          .whereAbsent('verification'),
      );
    },

    async addAtlasCalls(operationId, calls) {
      await conditionalUpdate(operationId, new UpdateExpression().add('atlasCalls', calls).whereExists('pk'));
    },

    async listOperations({ clusterKey, limit }) {
      if (clusterKey !== undefined) {
        const result = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: BY_CLUSTER_INDEX,
            KeyConditionExpression: '#clusterKey = :clusterKey',
            ExpressionAttributeNames: { '#clusterKey': 'clusterKey' },
            ExpressionAttributeValues: { ':clusterKey': { S: clusterKey } },
            ScanIndexForward: false,
            Limit: limit,
          }),
        );
        // The index projects the keys only: the items are read by key, then put back in the index's order.
        // Stryker disable next-line ArrayDeclaration,OptionalChaining: equivalent, a Query answer has Items, and the index projects the key pk
        const keys = (result.Items ?? []).map((item) => ({ pk: { S: String(item.pk?.S) } }));
        const items = await batchGet(keys);
        return keys.flatMap(({ pk }) => {
          const item = items.get(pk.S);
          return item ? [fromItem(item)] : [];
        });
      }
      // Across clusters there is no order to query: operations are few (a handful a day), so scan and sort.
      const operations: Operation[] = [];
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            // Job items (`job#…`) share the table; only operations are listed.
            FilterExpression: 'begins_with(pk, :operations)',
            ExpressionAttributeValues: { ':operations': { S: OPERATION_KEY_PREFIX } },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        // Stryker disable next-line ArrayDeclaration: equivalent, a Scan answer has Items
        operations.push(...(page.Items ?? []).map(fromItem));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      return operations.sort((a, b) => b.requestedAt - a.requestedAt).slice(0, limit);
    },
  };
}
