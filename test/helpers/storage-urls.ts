/**
 * Database URLs of every scheme the storage layer reads, and text it refuses: one table for the
 * library's tests and gregord's --storage tests, so the two cannot drift apart.
 */

/** A URL of each scheme the storage layer reads, and what it must read as. */
export const GOOD_STORAGE_URLS = {
  'sqlite::memory:': { dialect: 'sqlite', url: 'sqlite::memory:', path: ':memory:' },
  'sqlite:./data/gregor.db': {
    dialect: 'sqlite',
    url: 'sqlite:./data/gregor.db',
    path: './data/gregor.db',
  },
  'sqlite://relative.db': { dialect: 'sqlite', url: 'sqlite:relative.db', path: 'relative.db' },
  'sqlite:///abs/g.db': { dialect: 'sqlite', url: 'sqlite:/abs/g.db', path: '/abs/g.db' },
  'postgres://u@h/db': { dialect: 'postgres', url: 'postgres://u@h/db' },
  'postgresql://u:p@h:5433/db': { dialect: 'postgres', url: 'postgresql://u:p@h:5433/db' },
  'mysql://u@h/db': { dialect: 'mysql', url: 'mysql://u@h/db' },
  'mariadb://u@h:3307/db': { dialect: 'mysql', url: 'mysql://u@h:3307/db' },
} as const;

/** Text no dialect reads. */
export const BAD_STORAGE_URLS = [
  '',
  'oracle://u@h/db',
  'sqlite:',
  'sqlite://',
  'postgres:db',
  'postgres://',
  'mysql:/h/db',
  './gregor.db',
];
