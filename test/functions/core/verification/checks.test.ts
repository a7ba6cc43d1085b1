import { describe, expect, it } from 'vitest';
import { runUserChecks } from '../../../../functions/core/verification/checks.ts';
import { DatabaseError } from '../../../../functions/core/verification/database-port.ts';
import { memorySession } from './memory-database.ts';

const instant = Date.parse('2026-11-30T12:00:00Z');
const minutesBefore = (minutes: number) => new Date(instant - minutes * 60_000);
const target = () =>
  memorySession({
    shop: {
      orders: {
        documents: [
          { status: 'paid', createdAt: minutesBefore(90) },
          { status: 'paid', createdAt: minutesBefore(30) },
          { status: 'open', createdAt: minutesBefore(5) },
        ],
        indexes: ['_id_'],
      },
      customers: { documents: [], indexes: ['_id_'] },
    },
  });

describe('Function: runUserChecks', () => {
  it('passes a minimum count with a filter and fails one not met, saying expected and found', async () => {
    const results = await runUserChecks(
      [
        { database: 'shop', collection: 'orders', filter: { status: 'paid' }, minCount: 2 },
        { database: 'shop', collection: 'orders', filter: { status: 'paid' }, minCount: 3 },
      ],
      target(),
      instant,
    );
    expect(results.map((result) => result.verdict)).toEqual(['pass', 'fail']);
    expect(results[1]).toMatchObject({
      name: 'check:2',
      reason: expect.stringContaining('at least 3 documents, found 2'),
    });
  });

  it('measures the newest document against the restored instant', async () => {
    const results = await runUserChecks(
      [
        { database: 'shop', collection: 'orders', newestField: 'createdAt', maxAgeMinutes: 10 },
        {
          database: 'shop',
          collection: 'orders',
          filter: { status: 'paid' },
          newestField: 'createdAt',
          maxAgeMinutes: 10,
        },
      ],
      target(),
      instant,
    );
    expect(results.map((result) => result.verdict)).toEqual(['pass', 'fail']);
    expect(results[1]?.reason).toContain('30 min before the restored instant, more than 10');
  });

  it('fails a missing collection and a newest field holding no date', async () => {
    const results = await runUserChecks(
      [
        { database: 'shop', collection: 'refunds' },
        { database: 'shop', collection: 'orders', newestField: 'status', maxAgeMinutes: 10 },
      ],
      target(),
      instant,
    );
    expect(results.map((result) => result.verdict)).toEqual(['fail', 'fail']);
  });

  it('is unknown on the age when the restored instant is not known', async () => {
    const [result] = await runUserChecks(
      [{ database: 'shop', collection: 'orders', newestField: 'createdAt', maxAgeMinutes: 10 }],
      target(),
      undefined,
    );
    expect(result?.verdict).toBe('unknown');
  });

  it('passes a newest document exactly maxAgeMinutes old', async () => {
    const [result] = await runUserChecks(
      [
        {
          database: 'shop',
          collection: 'orders',
          filter: { status: 'paid' },
          newestField: 'createdAt',
          maxAgeMinutes: 30,
        },
      ],
      target(),
      instant,
    );
    expect(result?.verdict).toBe('pass');
  });

  it('checks the count only when the age is half declared (newestField without maxAgeMinutes, or the reverse)', async () => {
    const results = await runUserChecks(
      [
        { database: 'shop', collection: 'orders', newestField: 'status' },
        { database: 'shop', collection: 'orders', maxAgeMinutes: 1 },
      ],
      target(),
      instant,
    );
    expect(results.map((result) => result.verdict)).toEqual(['pass', 'pass']);
  });

  it('makes a check whose read fails unknown, with the reason, and runs the others', async () => {
    const failing = {
      ...target(),
      async count(database: string, collection: string) {
        if (collection === 'orders') throw new DatabaseError('NOT_AUTHORIZED', `not authorized on ${database}`);
        return 0;
      },
    };
    const results = await runUserChecks(
      [
        { database: 'shop', collection: 'orders' },
        { database: 'shop', collection: 'customers', minCount: 0 },
      ],
      failing,
      instant,
    );
    expect(results).toEqual([
      { name: 'check:1', verdict: 'unknown', reason: expect.stringContaining('not authorized') },
      expect.objectContaining({ name: 'check:2', verdict: 'pass' }),
    ]);
  });
});
