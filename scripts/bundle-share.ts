import { decode } from '@jridgewell/sourcemap-codec';

/**
 * Sources that are the AWS SDK: its clients and core, the Smithy runtime under them, and the
 * two packages only the SDK brings (DynamoDB's endpoint cache: mnemonist, obliterator).
 */
const AWS_SDK = /(^|\/)node_modules\/(@aws-sdk|@smithy|@aws-crypto|@aws|mnemonist|obliterator)\//;

/**
 * How many bytes of a bundle came from the AWS SDK, read from its source map: each mapped
 * segment of the generated code runs to the next one, and belongs to its source. Bytes
 * mapped to nothing (the banner, esbuild's helpers) count as the bundle's own. A bundle's
 * size less this share is what the size budget (`infra/bundle-budget.ts`) measures.
 */
export const awsSdkBytes = (code: string, sourceMap: string): number => {
  const map = JSON.parse(sourceMap) as { sources: string[]; mappings: string };
  const sdk = map.sources.map((source) => AWS_SDK.test(source));
  const lines = code.split('\n');
  let bytes = 0;
  decode(map.mappings).forEach((segments, index) => {
    const line = lines[index] ?? '';
    segments.forEach((segment, at) => {
      const [column, source] = segment;
      if (source === undefined || !sdk[source]) return;
      const end = segments[at + 1]?.[0] ?? line.length;
      bytes += Buffer.byteLength(line.slice(column, end));
    });
  });
  return bytes;
};
