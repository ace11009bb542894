import { createRequire } from 'node:module';
import { create } from 'qrcode/lib/core/qrcode.js';
import { describe, expect, it } from 'vitest';
import { qrPngDataUrl } from '../../shared/factors/totp/qr-png.js';

// An independent PNG decoder (qrcode's own dependency) reads what ours wrote.
const { PNG } = createRequire(import.meta.url)('pngjs') as {
  PNG: { sync: { read(data: Buffer): { width: number; height: number; data: Buffer } } };
};

describe('TOTP QR code as PNG', () => {
  const uri =
    'otpauth://totp/MFA%20Service:user-1?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=MFA%20Service&algorithm=SHA1&digits=6&period=30';

  it('is a PNG data URL that a PNG decoder reads: 4 pixels a module, a 2-module quiet zone', () => {
    const url = qrPngDataUrl(uri);
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    const png = PNG.sync.read(Buffer.from(url.slice('data:image/png;base64,'.length), 'base64'));
    const { modules } = create(uri, { errorCorrectionLevel: 'M' });
    const side = (modules.size + 4) * 4;
    expect({ width: png.width, height: png.height }).toEqual({ width: side, height: side });
    // Every module, at its centre pixel: black where the QR matrix has a dark module.
    for (let row = -2; row < modules.size + 2; row += 1) {
      for (let column = -2; column < modules.size + 2; column += 1) {
        const x = (column + 2) * 4 + 2;
        const y = (row + 2) * 4 + 2;
        const dark =
          row >= 0 && column >= 0 && row < modules.size && column < modules.size
            ? Boolean(modules.get(row, column))
            : false;
        expect(png.data[(y * png.width + x) * 4], `module ${row},${column}`).toBe(dark ? 0 : 255);
      }
    }
  });

  it('differs for a different secret', () => {
    expect(qrPngDataUrl(uri)).not.toBe(qrPngDataUrl(uri.replace('JBSW', 'KBSW')));
  });
});
