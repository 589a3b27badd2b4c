/**
 * gzip for compressed calls (type 4, ctype 1; docs/protocol.md, "Compression").
 *
 * Built on the web-standard CompressionStream/DecompressionStream (global in Node ≥ 18 and in
 * browsers) rather than node:zlib, so the rpc layer stays usable by the browser client
 * (the client runs in Node and in browsers). Compressed calls are rare on the gregor
 * path; throughput here is not critical, but the output size is bounded against zip bombs.
 */
import { gregorError, isGregorError } from '../errors.js';

async function collect(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw gregorError(
        'GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE',
        `decompressed arguments exceed ${maxBytes} bytes`,
      );
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

function sourceOf(data: Uint8Array): ReadableStream<BufferSource> {
  return new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(data as Uint8Array<ArrayBuffer>);
      controller.close();
    },
  });
}

/** gzip `data`. */
export function gzip(data: Uint8Array): Promise<Uint8Array> {
  return collect(
    sourceOf(data).pipeThrough(new CompressionStream('gzip')),
    Number.POSITIVE_INFINITY,
  );
}

/**
 * gunzip `data`, refusing output beyond `maxBytes` (GREGOR_ERR_PROTOCOL_FRAME_TOO_LARGE) and
 * malformed input (GREGOR_ERR_INPUT_INVALID).
 */
export async function gunzip(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    return await collect(sourceOf(data).pipeThrough(new DecompressionStream('gzip')), maxBytes);
  } catch (err) {
    if (isGregorError(err)) throw err;
    throw gregorError('GREGOR_ERR_INPUT_INVALID', 'compressed arguments are not valid gzip', {
      cause: err,
    });
  }
}
