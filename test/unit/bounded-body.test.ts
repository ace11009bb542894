import { describe, expect, it } from 'vitest';
import { boundedText } from '../../shared/http/bounded-body.js';

/** A body of `chunks` chunks of `size` bytes, made only as they are read; counts what was read. */
const endless = (chunks: number, size: number, headers: Record<string, string> = {}) => {
  const stream = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stream.pulled === chunks) return controller.close();
      stream.pulled++;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
    cancel() {
      stream.cancelled = true;
    },
  });
  return { response: new Response(body, { headers }), stream };
};

describe('boundedText: a response body of at most N bytes', () => {
  it('reads a body up to the limit, as strict UTF-8', async () => {
    expect(await boundedText(new Response('{"keys":[]}'), 11)).toBe('{"keys":[]}');
    expect(await boundedText(new Response('é'), 2)).toBe('é');
    await expect(boundedText(new Response('é'), 1)).rejects.toThrow('response body over 1 bytes');
    await expect(boundedText(new Response(new Uint8Array([0xff])), 10)).rejects.toThrow();
    expect(await boundedText(new Response(null), 10)).toBe('');
  });

  it('stops reading a body that runs past the limit (200 MiB are never read)', async () => {
    const { response, stream } = endless(200 * 16, 64 * 1024);
    await expect(boundedText(response, 64 * 1024)).rejects.toThrow('over 65536 bytes');
    expect(stream.pulled).toBeLessThanOrEqual(3);
    expect(stream.cancelled).toBe(true);
  });

  it('refuses at once when content-length says more than the limit', async () => {
    const { response, stream } = endless(4, 1024, { 'content-length': String(100 * 1024) });
    await expect(boundedText(response, 64 * 1024)).rejects.toThrow('over 65536 bytes');
    expect(stream.pulled).toBeLessThanOrEqual(1);
  });
});
