/** The public surface of the pubsub layer: the Bus, in-process and over Redis. */
export type {
  AnnouncementHandler,
  Bus,
  BusHandler,
  BusLogger,
  BusStats,
  GatherHandler,
  GatherOptions,
  PublishOptions,
  ResyncHandler,
  ShardHealth,
  Subscription,
} from './bus.js';
export { consoleBusLogger, MAX_UID_BYTES } from './bus-core.js';
export { DEFAULT_MAX_PENDING_GATHERS } from './gather-tracker.js';
export { InProcessBroker } from './in-process-broker.js';
export { InProcessBus, type InProcessBusOptions } from './in-process-bus.js';
export { RedisBus } from './redis-bus.js';
export {
  DEFAULT_CHANNEL_PREFIX,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_PUBLISHES,
  DEFAULT_PUBLISH_TIMEOUT_MS,
  type RedisBusOptions,
  redisReconnectStrategy,
} from './redis-bus-options.js';
