/** The Bus conformance suite against the in-process bus (several buses on one broker). */
import { InProcessBroker, InProcessBus } from '../../packages/server/src/pubsub/index.js';
import { runBusSuite } from './bus-suite.js';

runBusSuite('InProcessBus', {
  async makeCluster(count, { logger }) {
    const broker = new InProcessBroker();
    return Array.from({ length: count }, () => new InProcessBus({ broker, logger }));
  },
});
