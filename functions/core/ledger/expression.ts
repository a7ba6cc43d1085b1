import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** A value the ledger stores: strings, numbers and booleans only, marshalled by hand (no lib-dynamodb). */
export type Scalar = string | number | boolean;

export function attribute(value: Scalar): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  return { BOOL: value };
}

/** One comparison in a condition: an attribute equal to a value, present, or absent. */
export type Condition =
  | { readonly equals: readonly [name: string, value: Scalar] }
  | { readonly exists: string }
  | { readonly absent: string };

/** Builds an UpdateItem's expressions with placeholders, so attribute names never clash with reserved words. */
export class UpdateExpression {
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, AttributeValue> = {};
  readonly #set: string[] = [];
  readonly #remove: string[] = [];
  readonly #add: string[] = [];
  readonly #conditions: string[] = [];

  set(name: string, value: Scalar | undefined): this {
    if (value === undefined) return this;
    this.#set.push(`${this.#name(name)} = ${this.#value(value)}`);
    return this;
  }

  setIfAbsent(name: string, value: Scalar): this {
    const placeholder = this.#name(name);
    this.#set.push(`${placeholder} = if_not_exists(${placeholder}, ${this.#value(value)})`);
    return this;
  }

  remove(name: string): this {
    this.#remove.push(this.#name(name));
    return this;
  }

  add(name: string, amount: number | undefined): this {
    if (amount === undefined || amount === 0) return this;
    this.#add.push(`${this.#name(name)} ${this.#value(amount)}`);
    return this;
  }

  /** `name = value` in the condition. */
  whereEquals(name: string, value: Scalar): this {
    return this.where({ equals: [name, value] });
  }

  whereExists(name: string): this {
    return this.where({ exists: name });
  }

  whereAbsent(name: string): this {
    return this.where({ absent: name });
  }

  /** Adds `condition` to the conditions, which must all hold. */
  where(condition: Condition): this {
    this.#conditions.push(this.#condition(condition));
    return this;
  }

  /** `(a OR b OR …)` in the condition: at least one of `alternatives` must hold. */
  whereAny(...alternatives: readonly Condition[]): this {
    this.#conditions.push(`(${alternatives.map((alternative) => this.#condition(alternative)).join(' OR ')})`);
    return this;
  }

  build(): {
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  } {
    const clauses = [
      this.#set.length > 0 ? `SET ${this.#set.join(', ')}` : '',
      this.#remove.length > 0 ? `REMOVE ${this.#remove.join(', ')}` : '',
      this.#add.length > 0 ? `ADD ${this.#add.join(', ')}` : '',
    ].filter(Boolean);
    return {
      UpdateExpression: clauses.join(' '),
      ...(this.#conditions.length > 0 ? { ConditionExpression: this.#conditions.join(' AND ') } : {}),
      ExpressionAttributeNames: this.#names,
      ...(Object.keys(this.#values).length > 0 ? { ExpressionAttributeValues: this.#values } : {}),
    };
  }

  #condition(condition: Condition): string {
    if ('equals' in condition) return `${this.#name(condition.equals[0])} = ${this.#value(condition.equals[1])}`;
    if ('exists' in condition) return `attribute_exists(${this.#name(condition.exists)})`;
    return `attribute_not_exists(${this.#name(condition.absent)})`;
  }

  #name(name: string): string {
    const placeholder = `#${name}`;
    this.#names[placeholder] = name;
    return placeholder;
  }

  #value(value: Scalar): string {
    const placeholder = `:v${Object.keys(this.#values).length}`;
    this.#values[placeholder] = attribute(value);
    return placeholder;
  }
}
