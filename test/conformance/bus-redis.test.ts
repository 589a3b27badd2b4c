/** The Bus conformance suite against Redis (the shared server; each cluster gets its own prefix). */
import { RedisBus } from '../../packages/server/src/pubsub/index.js';
import { REDIS_URL, serviceSkipReason, uniqueName } from '../helpers/services.js';
import { runBusSuite } from './bus-suite.js';

runBusSuite('RedisBus', {
  skip: await serviceSkipReason('redis'),
  async makeCluster(count, { logger }) {
    const channelPrefix = `${uniqueName('gregor_bus_test')}:`;
    return Promise.all(
      Array.from({ length: count }, () =>
        RedisBus.connect({ url: REDIS_URL, channelPrefix, logger }),
      ),
    );
  },
});
