import { describe, expect, it } from 'vitest';
import { attribute, UpdateExpression } from '../../../../functions/core/ledger/expression.ts';

describe('attribute: a ledger scalar as a DynamoDB attribute value', () => {
  it('marshals text as S, numbers as N (decimal text) and booleans as BOOL', () => {
    // Act
    const values = [attribute('7'), attribute(7), attribute(0), attribute(false), attribute(true)];

    // Assess
    expect(values).toStrictEqual([{ S: '7' }, { N: '7' }, { N: '0' }, { BOOL: false }, { BOOL: true }]);
  });
});

describe('UpdateExpression: an UpdateItem request built with placeholders', () => {
  it('writes SET, REMOVE and ADD clauses in that order, each listed once, with names and values as placeholders', () => {
    // Act
    const built = new UpdateExpression()
      .add('polls', 2)
      .remove('pendingUntil')
      .set('step', 3)
      .remove('pendingNext')
      .setIfAbsent('firstClaimedAt', 'x')
      .build();

    // Assess
    expect(built).toStrictEqual({
      UpdateExpression:
        'SET #step = :v1, #firstClaimedAt = if_not_exists(#firstClaimedAt, :v2) REMOVE #pendingUntil, #pendingNext ADD #polls :v0',
      ExpressionAttributeNames: {
        '#polls': 'polls',
        '#pendingUntil': 'pendingUntil',
        '#step': 'step',
        '#pendingNext': 'pendingNext',
        '#firstClaimedAt': 'firstClaimedAt',
      },
      ExpressionAttributeValues: { ':v0': { N: '2' }, ':v1': { N: '3' }, ':v2': { S: 'x' } },
    });
  });

  it('leaves out an undefined value to set and a count to add that is undefined or 0', () => {
    // Act
    const built = new UpdateExpression()
      .set('claimToken', undefined)
      .add('polls', undefined)
      .add('atlasCalls', 0)
      .set('handedOff', false)
      .build();

    // Assess
    expect(built).toStrictEqual({
      UpdateExpression: 'SET #handedOff = :v0',
      ExpressionAttributeNames: { '#handedOff': 'handedOff' },
      ExpressionAttributeValues: { ':v0': { BOOL: false } },
    });
  });

  it('writes only the clauses it has: no condition and no values when there are none', () => {
    // Act
    const removeOnly = new UpdateExpression().remove('claimToken').build();
    const addOnly = new UpdateExpression().add('atlasCalls', 1).build();

    // Assess
    expect(removeOnly).toStrictEqual({
      UpdateExpression: 'REMOVE #claimToken',
      ExpressionAttributeNames: { '#claimToken': 'claimToken' },
    });
    expect(addOnly.UpdateExpression).toBe('ADD #atlasCalls :v0');
  });

  it('requires every condition (AND), and one of the alternatives of whereAny (OR, parenthesised)', () => {
    // Act
    const built = new UpdateExpression()
      .whereEquals('step', 0)
      .whereAny({ absent: 'claimToken' }, { exists: 'restoreJobId' }, { equals: ['claimToken', 'c1'] })
      .whereExists('pk')
      .whereAbsent('outcome')
      .set('outcome', 'failed')
      .build();

    // Assess
    expect(built).toStrictEqual({
      UpdateExpression: 'SET #outcome = :v2',
      ConditionExpression:
        '#step = :v0 AND (attribute_not_exists(#claimToken) OR attribute_exists(#restoreJobId) OR #claimToken = :v1) AND attribute_exists(#pk) AND attribute_not_exists(#outcome)',
      ExpressionAttributeNames: {
        '#step': 'step',
        '#claimToken': 'claimToken',
        '#restoreJobId': 'restoreJobId',
        '#pk': 'pk',
        '#outcome': 'outcome',
      },
      ExpressionAttributeValues: { ':v0': { N: '0' }, ':v1': { S: 'c1' }, ':v2': { S: 'failed' } },
    });
  });
});
