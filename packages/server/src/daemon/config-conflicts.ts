/**
 * The second half of reading gregord's configuration: options that are each valid but do not go
 * together. Every problem names all the options involved, as they were given.
 */
import { DEFAULT_CONSUME_LIMITS } from 'gregor-client/protocol';
import { MAX_LENGTH_PREFIX_BYTES } from 'gregor-client/rpc/internal';
import { quotaForFrame } from 'gregor-client/state/internal';
import { isLoopbackHost } from '../server/internal.js';
import type { GivenOption, GivenOptions, Values } from './config-schema.js';
import { type ListenAddress, redact } from './config-values.js';

const isSet = (g: GivenOption | undefined): g is GivenOption =>
  g !== undefined && g.source !== 'default';
/** The option and its value, with any URL password hidden and long text cut. */
const shown = (g: GivenOption): string => {
  const text = redact(g.text);
  return `${g.name} = ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`;
};

function authProblems(v: Values, given: GivenOptions): string[] {
  const modes = [
    isSet(given.tokenSecret) ? given.tokenSecret.name : undefined,
    isSet(given.authServer) ? given.authServer.name : undefined,
    v.mockAuth === true ? given.mockAuth?.name : undefined,
  ].filter((name): name is string => name !== undefined);
  const problems: string[] = [];
  if (modes.length > 1) {
    problems.push(`choose one way to authenticate; these are all set: ${modes.join(', ')}`);
  }
  const authServer = v.authServer as { isTls: boolean } | undefined;
  const isRedisTls = v.redisUrl?.startsWith('rediss:') === true;
  if (isSet(given.tlsCa) && authServer?.isTls !== true && !isRedisTls) {
    problems.push(
      `${given.tlsCa.name} is the CA of an fmprpc+tls:// --auth-server (AUTH_SERVER) or a rediss:// --redis-url (REDIS_URL), and neither is set`,
    );
  }
  if (v.mockAuth === true) {
    // --mock-auth lets anyone be anyone: only this machine may reach it.
    for (const key of ['bindAddress', 'httpAddress'] as const) {
      const address = v[key] as ListenAddress | null | undefined;
      const g = given[key];
      if (address != null && g !== undefined && !isLoopbackHost(address.host)) {
        problems.push(
          `--mock-auth lets anyone log in as anyone, so it listens on loopback only; ${shown(g)} is not a loopback address`,
        );
      }
    }
  }
  return problems;
}

function listenerProblems(v: Values, given: GivenOptions): string[] {
  const problems: string[] = [];
  const { tlsCert, tlsKey, bindAddress, httpAddress } = given;
  if (isSet(tlsCert) !== isSet(tlsKey)) {
    const [set, missing] = isSet(tlsCert)
      ? [tlsCert, '--tls-key (TLS_KEY)']
      : [tlsKey, '--tls-cert (TLS_CERT)'];
    problems.push(`${set?.name} needs ${missing}: give both or neither`);
  }
  if (v.bindAddress === null && bindAddress !== undefined) {
    if (isSet(tlsCert) || isSet(tlsKey)) {
      problems.push(`TLS applies to the TCP listener, but ${shown(bindAddress)}`);
    }
    if (v.httpAddress === null && httpAddress !== undefined) {
      problems.push(`nothing to listen on: ${shown(bindAddress)} and ${shown(httpAddress)}`);
    }
  }
  const { apiKeysFile } = given;
  if (v.httpAddress === null && httpAddress !== undefined && isSet(apiKeysFile)) {
    problems.push(`the HTTP API is served on the HTTP listener, but ${shown(httpAddress)}`);
  }
  return problems;
}

function redisProblems(v: Values, given: GivenOptions): string[] {
  const { redisUrl, redisClusterNodes, redisPassword } = given;
  if (isSet(redisUrl) && isSet(redisClusterNodes)) {
    return [
      `${redisUrl.name} and ${redisClusterNodes.name} both choose the Redis of the bus: give one`,
    ];
  }
  if (!isSet(redisPassword)) return [];
  if (redisUrl === undefined && redisClusterNodes === undefined) {
    return [
      `${redisPassword.name} is the password of --redis-url (REDIS_URL) or --redis-cluster-nodes (GREGOR_REDIS_CLUSTER_NODES), and neither is set`,
    ];
  }
  if (v.redisUrl !== undefined && redisUrl !== undefined && new URL(v.redisUrl).password !== '') {
    return [
      `${shown(redisUrl)} already holds a password, and ${redisPassword.name} gives another: give one`,
    ];
  }
  return [];
}

function scaleProblems(v: Values, given: GivenOptions): string[] {
  const problems: string[] = [];
  const { workers, storage, mysqlDsn, redisUrl, redisClusterNodes } = given;
  if (isSet(storage) && mysqlDsn?.source === 'flag' && storage.source === 'flag') {
    problems.push(`${storage.name} and ${mysqlDsn.name} both choose the storage: give one`);
  }
  if (workers !== undefined && (v.workers ?? 1) > 1) {
    if (v.storage?.kind === 'memory' && mysqlDsn === undefined && storage !== undefined) {
      problems.push(
        `${shown(workers)} needs a storage the workers share, but ${shown(storage)} keeps one per process`,
      );
    }
    if (redisUrl === undefined && redisClusterNodes === undefined) {
      problems.push(
        `${shown(workers)} needs --redis-url (REDIS_URL) or --redis-cluster-nodes (GREGOR_REDIS_CLUSTER_NODES): the in-process bus cannot reach the other workers`,
      );
    }
  }
  return problems;
}

function limitProblems(v: Values, given: GivenOptions): string[] {
  const problems: string[] = [];
  const { maxFrameBytes, maxWriteBufferBytes, maxBodyBytes, debug, logLevel } = given;
  const frame = v.maxFrameBytes ?? 0;
  if (
    maxFrameBytes &&
    maxWriteBufferBytes &&
    (v.maxWriteBufferBytes ?? 0) < frame + MAX_LENGTH_PREFIX_BYTES
  ) {
    // One frame of the largest size must fit, or every big answer would close the connection.
    problems.push(
      `${shown(maxWriteBufferBytes)} must be at least ${shown(maxFrameBytes)} + ${MAX_LENGTH_PREFIX_BYTES}`,
    );
  }
  if (maxFrameBytes && maxBodyBytes && (v.maxBodyBytes ?? 0) >= frame) {
    problems.push(
      `${shown(maxBodyBytes)} must be smaller than ${shown(maxFrameBytes)}: a body travels inside a frame`,
    );
  }
  const { maxClientFrameBytes } = given;
  if (
    maxClientFrameBytes &&
    maxBodyBytes &&
    (v.maxBodyBytes ?? 0) >= (v.maxClientFrameBytes ?? 0)
  ) {
    problems.push(
      `${shown(maxBodyBytes)} must be smaller than ${shown(maxClientFrameBytes)}: a client's body travels inside its frame`,
    );
  }
  problems.push(...quotaProblems(v, given));
  if (v.debug === true && isSet(logLevel) && v.logLevel !== 'debug' && debug !== undefined) {
    problems.push(`${debug.name} asks for debug logs but ${shown(logLevel)}: give one`);
  }
  return problems;
}

/**
 * A quota that lets a user fill a state larger than one frame: that user could never read its
 * state again. Only parts given explicitly can conflict; defaults shrink to fit (quotaForFrame).
 */
function quotaProblems(v: Values, given: GivenOptions): string[] {
  const { maxItemsPerUser, maxBytesPerUser, maxFrameBytes } = given;
  const quota = {
    ...(isSet(maxItemsPerUser) ? { maxItems: v.maxItemsPerUser as number } : {}),
    ...(isSet(maxBytesPerUser) ? { maxBytes: v.maxBytesPerUser as number } : {}),
  };
  const frame = v.maxFrameBytes;
  if (frame === undefined || maxFrameBytes === undefined) return [];
  if (quotaForFrame(quota, frame, DEFAULT_CONSUME_LIMITS) !== null) return [];
  const parts = [maxItemsPerUser, maxBytesPerUser].filter(isSet).map(shown);
  return [
    `${parts.join(' and ')} let a user's state grow past ${shown(maxFrameBytes)}: that user could never read it again; lower the quota or raise the frame`,
  ];
}

/** Every conflict between the parsed options; empty when they go together. */
export function checkConflicts(v: Values, given: GivenOptions): string[] {
  return [
    ...authProblems(v, given),
    ...listenerProblems(v, given),
    ...redisProblems(v, given),
    ...scaleProblems(v, given),
    ...limitProblems(v, given),
  ];
}
