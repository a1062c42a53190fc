import { BigQuery } from '@google-cloud/bigquery';
import { describe, expect, it } from 'vitest';
import { BoscoError } from '../../../core/errors.js';
import { partitionRowStruct, plainRow, positionalParameter, tableNameParts } from '../../../core/warehouse/bigquery/bigquery-values.js';

describe('BigQuery values', () => {
  it('types a positional value by what it is, sending numbers as text', () => {
    expect([1, -0, 1.5, 2 ** 63, Number.NaN, 10n ** 20n, 'x', false, null].map(positionalParameter)).toEqual([
      { value: '1', type: 'INT64' },
      { value: '0', type: 'INT64' },
      { value: '1.5', type: 'FLOAT64' },
      { value: '9223372036854776000', type: 'FLOAT64' },
      { value: 'NaN', type: 'FLOAT64' },
      { value: '100000000000000000000', type: 'INT64' },
      { value: 'x', type: 'STRING' },
      { value: false, type: 'BOOL' },
      { value: null, type: 'STRING' },
    ]);
  });

  it("turns the client's decoded values into the port's plain ones", () => {
    expect(
      plainRow({
        small: BigQuery.int('42'),
        big: BigQuery.int('9007199254740993'),
        day: BigQuery.date('2026-11-22'),
        civil: BigQuery.datetime('2026-11-22T10:00:00'),
        moment: BigQuery.timestamp('2026-11-22T10:00:00.5Z'),
        bytes: Buffer.from('hi'),
        nested: { list: [BigQuery.int('1'), null] },
        text: 'x',
      }),
    ).toEqual({
      small: 42,
      big: '9007199254740993',
      day: '2026-11-22',
      civil: '2026-11-22T10:00:00',
      moment: '2026-11-22T10:00:00.500000Z',
      bytes: 'aGk=',
      nested: { list: [1, null] },
      text: 'x',
    });
  });

  it('reads table names with or without backquotes, and refuses anything else', () => {
    expect(tableNameParts('metric_rows')).toEqual(['metric_rows']);
    expect(tableNameParts('`bosco`.`metric_rows`')).toEqual(['bosco', 'metric_rows']);
    expect(tableNameParts('`my-project.bosco.metric_rows`')).toEqual(['my-project', 'bosco', 'metric_rows']);
    expect(tableNameParts('a.b.c.d')).toBeUndefined();
    expect(tableNameParts('(SELECT 1)')).toBeUndefined();
  });

  it("fills a row's partition columns and refuses a column the table lacks", () => {
    const fields = [
      { name: 'client_id', type: 'STRING' },
      { name: 'date', type: 'DATE' },
      { name: 'clicks', type: 'INTEGER' },
    ];
    const types = ['STRING', 'DATE', 'INT64'];
    const struct = partitionRowStruct('t', { client_id: 'acme', date: '2026-11-22' }, fields, types, { clicks: 3 });
    expect({ ...struct, date: (struct.date as { value: string }).value }).toEqual({ client_id: 'acme', date: '2026-11-22', clicks: '3' });
    expect(() => partitionRowStruct('t', { client_id: 'acme' }, fields, types, { cost: 1 })).toThrow(BoscoError);
  });
});
