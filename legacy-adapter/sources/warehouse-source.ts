import { BoscoError } from '../../core/errors.js';
import type { SourceReader } from '../types.js';

/** A table inside the workspace's own warehouse: `warehouse:<schema.table>`. */
export const warehouseSource: SourceReader = {
  name: 'warehouse',
  description: 'warehouse:<table> (a table in the workspace warehouse)',
  matches: (uri) => uri.startsWith('warehouse:'),
  async stage({ warehouse, uri, relation }) {
    const table = uri.slice('warehouse:'.length);
    const qualified = table.split('.').map((part) => warehouse.dialect.quoteIdent(part)).join('.');
    const columns = await warehouse.describe(qualified);
    if (!table || columns.length === 0) {
      throw new BoscoError('SOURCE_NOT_FOUND', `table '${table}' does not exist in the workspace warehouse`, {
        hint: 'run `bosco demo` to create the demo tables, or name another source with --legacy/--new',
      });
    }
    await warehouse.run(warehouse.dialect.createTempView(relation, `SELECT * FROM ${qualified}`));
    return { columns, label: uri };
  },
};
