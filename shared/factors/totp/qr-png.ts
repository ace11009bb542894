import { crc32, deflateSync } from 'node:zlib';
// The QR encoder alone: qrcode's main entry also loads its PNG, SVG and terminal renderers
// (pngjs among them), which would take the enroll function over its 300 KB bundle budget.
import { create } from 'qrcode/lib/core/qrcode.js';

/** Pixels per QR module and the quiet zone in modules (as `qrcode`'s defaults, margin 2). */
const SCALE = 4;
const MARGIN = 2;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const chunk = (type: string, data: Buffer): Buffer => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
};

/**
 * A QR code (error correction M) of `text` as a `data:image/png;base64,` URL: an 8-bit
 * greyscale PNG, black modules on white, 4 pixels a module, a 2-module quiet zone.
 */
export const qrPngDataUrl = (text: string): string => {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const side = (modules.size + 2 * MARGIN) * SCALE;
  const raw = Buffer.alloc(side * (side + 1), 0xff);
  for (let y = 0; y < side; y += 1) {
    raw[y * (side + 1)] = 0; // filter: none
    const row = Math.floor(y / SCALE) - MARGIN;
    for (let x = 0; x < side; x += 1) {
      const column = Math.floor(x / SCALE) - MARGIN;
      const inside = row >= 0 && column >= 0 && row < modules.size && column < modules.size;
      if (inside && modules.get(row, column)) raw[y * (side + 1) + 1 + x] = 0;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, greyscale, deflate, no filter, no interlace
  const png = Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return `data:image/png;base64,${png.toString('base64')}`;
};
