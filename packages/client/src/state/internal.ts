/**
 * The state layer as the storage engines and the tests see it: the public surface of `index.ts`,
 * plus the pure rules every engine shares (time, items, quotas, reminders, since, result sizes).
 * Not part of the package's public API.
 */
export * from './consumable.js';
export * from './deadline.js';
export * from './index.js';
export * from './item-rules.js';
export * from './quota-rules.js';
export * from './reminder-rules.js';
export * from './result-budget.js';
export * from './retention-rules.js';
export * from './since-rules.js';
export * from './time-rules.js';
