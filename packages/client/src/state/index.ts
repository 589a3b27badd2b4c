/**
 * The state layer: what a user's notification state machine is (the StateMachine interfaces every
 * engine implements), the in-memory engine, and the clocks. `internal.ts` adds the pure rules
 * every engine shares (docs/data-model.md), for the storage engines and the tests.
 */
export * from './interfaces.js';
export * from './manual-clock.js';
export * from './memory-engine.js';
export * from './retention.js';
