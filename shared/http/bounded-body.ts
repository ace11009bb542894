/**
 * The text of a response body of at most `maxBytes` (UTF-8, strict), or throws: refused at
 * once when `content-length` says more, else the stream is read only until it passes the
 * limit. A misbehaving or hostile endpoint cannot fill the memory (`response.text()` would
 * read all of it first).
 */
export const boundedText = async (response: Response, maxBytes: number): Promise<string> => {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`response body over ${maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new Error(`response body over ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
};
