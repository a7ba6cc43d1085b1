/**
 * aggregate over one collection with the stages a verifier and the driver's countDocuments send: $match, $sort,
 * $skip, $limit, $count, $project (inclusion/exclusion) and $group with an _id constant, null or field path and
 * $sum/$min/$max/$first/$last accumulators. Any other stage is refused as MongoDB refuses an unknown one.
 */
import type { Document } from 'bson';
import { batchSizeOf, cursorDocument } from '../cursors.ts';
import { CommandError } from '../errors.ts';
import { compileFilter, projectDocument, sortDocuments, valuesAt } from '../matcher.ts';
import { compareValues, numericValue, valuesEqual } from '../values.ts';
import { authorize, type CommandContext, collectionName, namespace } from './context.ts';

function count(value: unknown, stage: string): number {
  const number = numericValue(value);
  if (number === undefined || !Number.isInteger(number) || number < 0) {
    throw new CommandError('BadValue', `${stage} must be a non-negative integer`);
  }
  return number;
}

/** A `$field` path's value, or the expression itself when it is a constant. */
function evaluate(document: Document, expression: unknown): unknown {
  if (typeof expression === 'string' && expression.startsWith('$')) {
    return valuesAt(document, expression.slice(1)).find((value) => !Array.isArray(value)) ?? null;
  }
  return expression;
}

type Accumulate = (documents: readonly Document[]) => unknown;

function accumulator(field: string, spec: unknown): Accumulate {
  if (typeof spec !== 'object' || spec === null || Object.keys(spec).length !== 1) {
    throw new CommandError('BadValue', `The field '${field}' must be an accumulator object`);
  }
  const [operator, expression] = Object.entries(spec)[0] as [string, unknown];
  const values = (documents: readonly Document[]) => documents.map((document) => evaluate(document, expression));
  switch (operator) {
    case '$sum':
      return (documents) => values(documents).reduce<number>((sum, value) => sum + (numericValue(value) ?? 0), 0);
    case '$min':
      return (documents) =>
        values(documents)
          .filter((value) => value !== null)
          .reduce<unknown>((min, value) => (min === null || compareValues(value, min) < 0 ? value : min), null);
    case '$max':
      return (documents) =>
        values(documents).reduce<unknown>((max, value) => (compareValues(value, max) > 0 ? value : max), null);
    case '$first':
      return (documents) => values(documents)[0] ?? null;
    case '$last':
      return (documents) => values(documents).at(-1) ?? null;
    default:
      throw new CommandError('BadValue', `unknown group operator '${operator}'`);
  }
}

function group(documents: readonly Document[], spec: Document): Document[] {
  if (!('_id' in spec)) throw new CommandError('BadValue', 'a group specification must include an _id');
  const fields = Object.entries(spec)
    .filter(([field]) => field !== '_id')
    .map(([field, accumulatorSpec]) => [field, accumulator(field, accumulatorSpec)] as const);
  const groups: { key: unknown; members: Document[] }[] = [];
  for (const document of documents) {
    const key = evaluate(document, spec._id);
    const existing = groups.find((candidate) => valuesEqual(candidate.key, key));
    if (existing === undefined) groups.push({ key, members: [document] });
    else existing.members.push(document);
  }
  return groups.map(({ key, members }) => ({
    _id: key,
    ...Object.fromEntries(fields.map(([field, accumulate]) => [field, accumulate(members)])),
  }));
}

function runStage(documents: Document[], stage: Document): Document[] {
  const names = Object.keys(stage);
  if (names.length !== 1)
    throw new CommandError('BadValue', 'A pipeline stage specification object must contain exactly one field.');
  const name = names[0] as string;
  const spec = stage[name];
  switch (name) {
    case '$match': {
      const predicate = compileFilter(spec);
      return documents.filter((document) => predicate(document));
    }
    case '$sort':
      return sortDocuments(documents, spec);
    case '$skip':
      return documents.slice(count(spec, '$skip'));
    case '$limit': {
      const limit = count(spec, '$limit');
      if (limit === 0) throw new CommandError('BadValue', 'the limit must be positive');
      return documents.slice(0, limit);
    }
    case '$count':
      if (typeof spec !== 'string' || spec.length === 0 || spec.startsWith('$') || spec.includes('.')) {
        throw new CommandError('BadValue', 'the count field must be a non-empty string without $ or .');
      }
      return documents.length === 0 ? [] : [{ [spec]: documents.length }];
    case '$project':
      return documents.map((document) => projectDocument(document, spec));
    case '$group':
      return group(documents, spec);
    default:
      throw new CommandError('BadValue', `Unrecognized pipeline stage name: '${name}'`);
  }
}

export function aggregate(context: CommandContext): Document {
  const collection = collectionName(context);
  authorize(context, 'find', collection);
  const { pipeline, cursor } = context.body;
  if (!Array.isArray(pipeline))
    throw new CommandError('TypeMismatch', "'pipeline' option must be specified as an array");
  if (typeof cursor !== 'object' || cursor === null) {
    throw new CommandError(
      'FailedToParse',
      "The 'cursor' option is required, except for aggregate with the explain argument",
    );
  }
  const stored = context.data.collection(context.db, collection)?.documents ?? [];
  const result = (pipeline as Document[]).reduce<Document[]>(
    (documents, stage) => runStage(documents, stage),
    [...stored],
  );
  const reply = context.cursors.open(
    namespace(context, collection),
    context.user.username,
    result,
    batchSizeOf((cursor as Document).batchSize, 'cursor.batchSize'),
  );
  return cursorDocument(reply, true);
}
