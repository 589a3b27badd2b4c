/**
 * The public surface of the state layer: the interfaces, the pure rules every engine shares
 * (docs/data-model.md), a settable clock, and the in-memory engine.
 */
export * from './consumable.js';
export * from './deadline.js';
export * from './interfaces.js';
export * from './item-rules.js';
export * from './manual-clock.js';
export * from './memory-engine.js';
export * from './quota-rules.js';
export * from './reminder-rules.js';
export * from './result-budget.js';
export * from './since-rules.js';
export * from './time-rules.js';
