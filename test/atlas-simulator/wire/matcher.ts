/**
 * Query filters, sorts and projections over stored documents, for the operators a verifier sends: implicit equality,
 * $eq $ne $gt $gte $lt $lte $in $nin $exists, $and $or $nor, dotted paths reaching into embedded documents and arrays
 * (an array field matches when one of its elements does). An unknown operator is refused as MongoDB does.
 */
import type { Document } from 'bson';
import { CommandError } from './errors.ts';
import { compareValues, numericValue, sameBracket, valuesEqual } from './values.ts';

interface Candidate {
  readonly present: boolean;
  readonly value: unknown;
}

/** The values a dotted path reaches: one per array element crossed on the way; the array itself is one too. */
function candidates(value: unknown, path: readonly string[]): Candidate[] {
  if (path.length === 0) {
    return Array.isArray(value)
      ? [{ present: true, value }, ...value.map((item) => ({ present: true, value: item }))]
      : [{ present: true, value }];
  }
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) {
    const index = /^\d+$/.test(head) ? Number(head) : undefined;
    if (index !== undefined) return index < value.length ? candidates(value[index], rest) : [];
    return value.flatMap((item) => (isDocument(item) ? candidates(item, path) : []));
  }
  if (!isDocument(value) || !(head in value)) return [];
  return candidates(value[head], rest);
}

function isDocument(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  );
}

export function valuesAt(document: Document, path: string): unknown[] {
  return candidates(document, path.split('.')).map((candidate) => candidate.value);
}

type Predicate = (document: Document) => boolean;

function equalsAny(values: readonly unknown[], expected: unknown): boolean {
  // {field: null} also matches a document without the field.
  if (expected === null && values.length === 0) return true;
  return values.some((value) => valuesEqual(value, expected));
}

function comparison(values: readonly unknown[], expected: unknown, accept: (order: number) => boolean): boolean {
  return values.some((value) => sameBracket(value, expected) && accept(compareValues(value, expected)));
}

function operatorPredicate(path: string, operator: string, operand: unknown): Predicate {
  const at = (document: Document) => valuesAt(document, path);
  switch (operator) {
    case '$eq':
      return (document) => equalsAny(at(document), operand);
    case '$ne':
      return (document) => !equalsAny(at(document), operand);
    case '$gt':
      return (document) => comparison(at(document), operand, (order) => order > 0);
    case '$gte':
      return (document) => comparison(at(document), operand, (order) => order >= 0);
    case '$lt':
      return (document) => comparison(at(document), operand, (order) => order < 0);
    case '$lte':
      return (document) => comparison(at(document), operand, (order) => order <= 0);
    case '$in':
      if (!Array.isArray(operand)) throw new CommandError('BadValue', '$in needs an array');
      return (document) => operand.some((expected) => equalsAny(at(document), expected));
    case '$nin':
      if (!Array.isArray(operand)) throw new CommandError('BadValue', '$nin needs an array');
      return (document) => !operand.some((expected) => equalsAny(at(document), expected));
    case '$exists': {
      const wanted = Boolean(numericValue(operand) ?? operand);
      return (document) => candidates(document, path.split('.')).length > 0 === wanted;
    }
    default:
      throw new CommandError('BadValue', `unknown operator: ${operator}`);
  }
}

function fieldPredicate(path: string, condition: unknown): Predicate {
  if (isDocument(condition) && Object.keys(condition).some((key) => key.startsWith('$'))) {
    const predicates = Object.entries(condition).map(([operator, operand]) =>
      operatorPredicate(path, operator, operand),
    );
    return (document) => predicates.every((predicate) => predicate(document));
  }
  return (document) => equalsAny(valuesAt(document, path), condition);
}

function clauses(operator: string, operand: unknown): Predicate[] {
  if (!Array.isArray(operand) || operand.length === 0) {
    throw new CommandError('BadValue', `${operator} must be a nonempty array`);
  }
  return operand.map((clause) => compileFilter(clause as Document));
}

/** A predicate for a query filter; throws BadValue for an operator it does not know. */
export function compileFilter(filter: Document | undefined): Predicate {
  if (filter === undefined || filter === null) return () => true;
  if (!isDocument(filter)) throw new CommandError('TypeMismatch', 'filter must be an object');
  const predicates = Object.entries(filter).map(([key, condition]): Predicate => {
    if (key === '$and') {
      const all = clauses(key, condition);
      return (document) => all.every((predicate) => predicate(document));
    }
    if (key === '$or') {
      const any = clauses(key, condition);
      return (document) => any.some((predicate) => predicate(document));
    }
    if (key === '$nor') {
      const none = clauses(key, condition);
      return (document) => !none.some((predicate) => predicate(document));
    }
    if (key.startsWith('$')) throw new CommandError('BadValue', `unknown top level operator: ${key}`);
    return fieldPredicate(key, condition);
  });
  return (document) => predicates.every((predicate) => predicate(document));
}

/** The value a sort uses: the smallest (ascending) or largest (descending) one the path reaches; null when none. */
function sortKey(document: Document, path: string, direction: number): unknown {
  const values = candidates(document, path.split('.'))
    .map((candidate) => candidate.value)
    .filter((value) => !Array.isArray(value));
  if (values.length === 0) return null;
  return values.reduce((best, value) => (compareValues(value, best) * direction < 0 ? value : best));
}

/** A stable sort by a sort specification ({field: 1 | -1, …}). */
export function sortDocuments(documents: readonly Document[], spec: Document | undefined): Document[] {
  const fields = Object.entries(spec ?? {}).map(([path, direction]) => {
    const numeric = numericValue(direction);
    if (numeric !== 1 && numeric !== -1) throw new CommandError('BadValue', `bad sort specification for ${path}`);
    return { path, direction: numeric };
  });
  if (fields.length === 0) return [...documents];
  return documents
    .map((document, index) => ({ document, index }))
    .sort((left, right) => {
      for (const { path, direction } of fields) {
        const order = compareValues(sortKey(left.document, path, direction), sortKey(right.document, path, direction));
        if (order !== 0) return order * direction;
      }
      return left.index - right.index;
    })
    .map(({ document }) => document);
}

function pick(source: Record<string, unknown>, path: readonly string[], target: Record<string, unknown>): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in source)) return;
  const value = source[head];
  if (rest.length === 0) {
    target[head] = value;
  } else if (isDocument(value)) {
    const nested = (isDocument(target[head]) ? target[head] : {}) as Record<string, unknown>;
    pick(value, rest, nested);
    target[head] = nested;
  }
}

function omit(target: Record<string, unknown>, path: readonly string[]): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    delete target[head];
    return;
  }
  const value = target[head];
  if (isDocument(value)) {
    const copy = { ...value };
    omit(copy, rest);
    target[head] = copy;
  }
}

/** Inclusion ({a: 1}; _id kept unless {_id: 0}) or exclusion ({a: 0}) projection. */
export function projectDocument(document: Document, projection: Document | undefined): Document {
  const entries = Object.entries(projection ?? {});
  if (entries.length === 0) return document;
  const included = entries.filter(([path, flag]) => path !== '_id' && Boolean(numericValue(flag) ?? flag));
  const excludeId = entries.some(([path, flag]) => path === '_id' && !(numericValue(flag) ?? flag));
  const onlyId = entries.length === 1 && entries[0]?.[0] === '_id' && !excludeId;
  if (included.length > 0 || onlyId) {
    const result: Record<string, unknown> = {};
    if (!excludeId && '_id' in document) result._id = document._id;
    for (const [path] of included) pick(document, path.split('.'), result);
    return result;
  }
  const result: Record<string, unknown> = { ...document };
  for (const [path, flag] of entries) if (!(numericValue(flag) ?? flag)) omit(result, path.split('.'));
  return result;
}
