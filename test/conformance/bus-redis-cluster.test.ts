/**
 * The Bus conformance suite on a Redis Cluster (3 masters, 3 replicas) that this file starts on
 * loopback ports and stops at the end; each test's instances get their own channel prefix.
 */
import { after } from 'node:test';
import { RedisBus } from '../../packages/server/src/pubsub/index.js';
import { uniqueName } from '../helpers/services.js';
import { clusterSkipReason, PrivateRedisCluster } from '../unit/pubsub/private-redis-cluster.js';
import { runBusSuite } from './bus-suite.js';

const skip = clusterSkipReason();
const cluster = skip === undefined ? await PrivateRedisCluster.start() : undefined;
after(() => cluster?.stop());

runBusSuite('RedisBus on a Redis Cluster', {
  skip,
  async makeCluster(count, { logger }) {
    const channelPrefix = `${uniqueName('gregor_bus_test')}:`;
    const clusterNodes = cluster!.nodeAddresses.slice(0, 2);
    return Promise.all(
      Array.from({ length: count }, () =>
        RedisBus.connect({ clusterNodes, channelPrefix, logger }),
      ),
    );
  },
});
