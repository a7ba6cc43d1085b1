/**
 * BSON values compared as MongoDB compares them: first by type bracket (MinKey < null < numbers < strings < objects
 * < arrays < binary < ObjectId < boolean < Date < Timestamp < RegExp < MaxKey), then by value; numbers of every BSON
 * type compare by numeric value (mongodb/mongo docs: "Comparison/Sort Order").
 */
import { Binary, BSONRegExp, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from 'bson';

export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value instanceof Long) return value.toNumber();
  if (value instanceof Int32 || value instanceof Double) return value.valueOf();
  if (value instanceof Decimal128) return Number(value.toString());
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

function bracket(value: unknown): number {
  if (value instanceof MinKey) return 0;
  if (value === null || value === undefined) return 1;
  if (numericValue(value) !== undefined) return 2;
  if (typeof value === 'string') return 3;
  if (Array.isArray(value)) return 5;
  if (value instanceof Binary) return 6;
  if (value instanceof ObjectId) return 7;
  if (typeof value === 'boolean') return 8;
  if (value instanceof Date) return 9;
  if (value instanceof Timestamp) return 10;
  if (value instanceof RegExp || value instanceof BSONRegExp) return 11;
  if (value instanceof MaxKey) return 12;
  return 4;
}

export function sameBracket(left: unknown, right: unknown): boolean {
  return bracket(left) === bracket(right);
}

/** Negative, zero or positive, in MongoDB's order. */
export function compareValues(left: unknown, right: unknown): number {
  const byBracket = bracket(left) - bracket(right);
  if (byBracket !== 0) return byBracket;
  switch (bracket(left)) {
    case 2:
      return (numericValue(left) as number) - (numericValue(right) as number);
    case 3:
      return left === right ? 0 : (left as string) < (right as string) ? -1 : 1;
    case 5:
      return compareArrays(left as unknown[], right as unknown[]);
    case 6:
      return Buffer.compare(Buffer.from((left as Binary).buffer), Buffer.from((right as Binary).buffer));
    case 7:
      return (left as ObjectId).toHexString().localeCompare((right as ObjectId).toHexString());
    case 8:
      return Number(left) - Number(right);
    case 9:
      return (left as Date).getTime() - (right as Date).getTime();
    case 10:
      return (left as Timestamp).compare(right as Timestamp);
    case 4:
      return compareDocuments(left as Record<string, unknown>, right as Record<string, unknown>);
    default:
      return 0;
  }
}

function compareArrays(left: readonly unknown[], right: readonly unknown[]): number {
  for (let index = 0; index < Math.min(left.length, right.length); index += 1) {
    const order = compareValues(left[index], right[index]);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

function compareDocuments(left: Record<string, unknown>, right: Record<string, unknown>): number {
  const leftKeys = Object.keys(left);
  const rightKeys = Object.keys(right);
  for (let index = 0; index < Math.min(leftKeys.length, rightKeys.length); index += 1) {
    const leftKey = leftKeys[index] as string;
    const rightKey = rightKeys[index] as string;
    const order = compareValues(left[leftKey], right[rightKey]);
    if (order !== 0) return order;
    if (leftKey !== rightKey) return leftKey < rightKey ? -1 : 1;
  }
  return leftKeys.length - rightKeys.length;
}

export function valuesEqual(left: unknown, right: unknown): boolean {
  return compareValues(left, right) === 0;
}
