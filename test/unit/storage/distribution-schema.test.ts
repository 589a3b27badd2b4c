/**
 * The schema's distribution rule (packages/server/src/storage/distribution.ts), checked against the
 * real schema each database reports in its catalog after the migrations: SQLite's sqlite_master
 * and pragmas, PostgreSQL's pg_index, MySQL/MariaDB's information_schema.STATISTICS. Every table
 * is a user table or a listed global one; every primary key, unique key and index of a user table
 * begins with uid, unless it is a listed exception; every listed exception exists; and no
 * statement of the engine joins tables.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  GLOBAL_TABLES,
  type TableKey,
  UID_FIRST_EXCEPTIONS,
  USER_TABLES,
} from '../../../packages/server/src/storage/distribution.js';
import type { DialectName } from '../../../packages/server/src/storage/index.js';
import { tableNames } from '../../../packages/server/src/storage/schema.js';
import {
  openEngineOn,
  openStoragePlace,
  STORAGE_DIALECTS,
  STORAGE_SKIPS,
  type StoragePlace,
} from './storage-places.js';

const T = tableNames('gregor_');
const KEY_OF_TABLE = new Map<string, TableKey>(
  (Object.keys(T) as (keyof typeof T)[])
    .filter((k): k is TableKey => k !== 'prefix')
    .map((k) => [T[k], k]),
);

/** One primary key, unique key or index as a catalog reports it. */
interface CatalogKey {
  readonly table: string;
  /** `primary key`, `unique (columns)`, or a created index's name without the prefix. */
  readonly key: string;
  readonly columns: readonly string[];
}

/** What a catalog says: the tables, and their keys and indexes. */
interface Catalog {
  readonly tables: readonly string[];
  readonly keys: readonly CatalogKey[];
}

const unprefixed = (name: string): string => name.replace(/^gregor_/, '');
const uniqueKey = (columns: readonly string[]): string => `unique (${columns.join(', ')})`;
const rowsOf = (rows: Record<string, unknown>[], column: string): string[] =>
  rows.map((r) => String(r[column]));
/** The `name` column of what `sql` selects. */
const names = async (place: StoragePlace, sql: string): Promise<string[]> =>
  rowsOf(await place.sql(sql), 'name');

async function sqliteCatalog(place: StoragePlace): Promise<Catalog> {
  const tables = await names(
    place,
    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
  );
  const keys: CatalogKey[] = [];
  for (const table of tables) {
    const primary = (await place.sql(`PRAGMA table_info(${table})`))
      .filter((c) => Number(c.pk) > 0)
      .sort((a, b) => Number(a.pk) - Number(b.pk));
    if (primary.length > 0)
      keys.push({ table, key: 'primary key', columns: rowsOf(primary, 'name') });
    for (const index of await place.sql(`PRAGMA index_list(${table})`)) {
      // The primary key's own index (origin pk) is the key read above.
      if (index.origin === 'pk') continue;
      const name = String(index.name);
      const columns = rowsOf(await place.sql(`PRAGMA index_info(${name})`), 'name');
      const key = index.origin === 'u' ? uniqueKey(columns) : unprefixed(name);
      keys.push({ table, key, columns });
    }
  }
  return { tables, keys };
}

async function postgresCatalog(place: StoragePlace): Promise<Catalog> {
  const tables = await names(
    place,
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
  );
  const rows = await place.sql(
    'SELECT t.relname AS table_name, i.relname AS index_name, x.indisprimary AS is_primary, ' +
      'c.contype AS constraint_type, ' +
      'ARRAY(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ' +
      'JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord) AS columns ' +
      'FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid ' +
      'JOIN pg_namespace n ON n.oid = t.relnamespace ' +
      'LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid ' +
      'WHERE n.nspname = current_schema()',
  );
  const keys = rows.map((r): CatalogKey => {
    const columns = r.columns as string[];
    const table = String(r.table_name);
    if (r.is_primary === true) return { table, key: 'primary key', columns };
    if (r.constraint_type === 'u') return { table, key: uniqueKey(columns), columns };
    return { table, key: unprefixed(String(r.index_name)), columns };
  });
  return { tables, keys };
}

async function mysqlCatalog(place: StoragePlace): Promise<Catalog> {
  const tables = await names(
    place,
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME',
  );
  const rows = await place.sql(
    'SELECT TABLE_NAME AS t, INDEX_NAME AS i, NON_UNIQUE AS nu, COLUMN_NAME AS c ' +
      'FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ' +
      'ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX',
  );
  const byIndex = new Map<
    string,
    { table: string; name: string; unique: boolean; columns: string[] }
  >();
  for (const r of rows) {
    const id = `${r.t}/${r.i}`;
    const entry = byIndex.get(id) ?? {
      table: String(r.t),
      name: String(r.i),
      unique: Number(r.nu) === 0,
      columns: [],
    };
    entry.columns.push(String(r.c));
    byIndex.set(id, entry);
  }
  const keys = [...byIndex.values()].map(({ table, name, unique, columns }): CatalogKey => {
    if (name === 'PRIMARY') return { table, key: 'primary key', columns };
    // Indexes the migrations create carry the prefix; a UNIQUE constraint is named by MySQL.
    if (unique && !name.startsWith('gregor_')) return { table, key: uniqueKey(columns), columns };
    return { table, key: unprefixed(name), columns };
  });
  return { tables, keys };
}

const CATALOGS: Record<DialectName, (place: StoragePlace) => Promise<Catalog>> = {
  sqlite: sqliteCatalog,
  postgres: postgresCatalog,
  mysql: mysqlCatalog,
};

/** The catalog of a fresh database after every migration. */
async function migratedCatalog(dialect: DialectName): Promise<Catalog> {
  const place = await openStoragePlace(dialect, 'gregor_dist');
  try {
    await (await openEngineOn(place)).close();
    return await CATALOGS[dialect](place);
  } finally {
    await place.drop();
  }
}

for (const dialect of STORAGE_DIALECTS) {
  describe(`distribution rule on ${dialect}`, { skip: STORAGE_SKIPS[dialect] ?? false }, () => {
    it('every table is a user table or a listed global one; every key and index of a user table begins with uid, or is a listed exception', async () => {
      const catalog = await migratedCatalog(dialect);
      const globals = new Set(GLOBAL_TABLES.map((g) => g.table));
      const problems: string[] = [];
      const found = new Set<string>();
      for (const table of catalog.tables) {
        const key = KEY_OF_TABLE.get(table);
        if (key === undefined || (!USER_TABLES.includes(key) && !globals.has(key))) {
          problems.push(`${table}: neither a user table nor a listed global table`);
        }
      }
      for (const k of catalog.keys) {
        const table = KEY_OF_TABLE.get(k.table);
        if (table === undefined || !USER_TABLES.includes(table)) continue;
        if (k.columns[0] === 'uid') continue;
        const listed = UID_FIRST_EXCEPTIONS.find(
          (e) => e.table === table && e.key === k.key && e.dialects.includes(dialect),
        );
        if (listed === undefined) {
          problems.push(`${k.table} ${k.key} (${k.columns.join(', ')}) does not begin with uid`);
        } else {
          found.add(`${table}/${k.key}`);
        }
      }
      for (const table of USER_TABLES) {
        const identity = catalog.keys.find(
          (k) =>
            k.table === T[table] &&
            (k.key === 'primary key' || k.key.startsWith('unique')) &&
            k.columns[0] === 'uid',
        );
        if (identity === undefined)
          problems.push(`${T[table]}: no primary or unique key beginning with uid`);
      }
      for (const e of UID_FIRST_EXCEPTIONS.filter((x) => x.dialects.includes(dialect))) {
        if (!found.has(`${e.table}/${e.key}`))
          problems.push(`listed exception ${e.table} ${e.key} not found`);
      }
      assert.deepEqual(problems, []);
      assert.ok(
        catalog.keys.length >= 6,
        `${catalog.keys.length} keys read: the catalog query works`,
      );
    });
  });
}

describe('the statements of the SQL engine', () => {
  it('never join tables: every read and write of a user stays in that user’s rows of one table', () => {
    const dir = fileURLToPath(new URL('../../../packages/server/src/storage', import.meta.url));
    const joining = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /\bJOIN\b/.test(readFileSync(join(dir, f), 'utf8')));
    assert.deepEqual(joining, []);
  });
});
