import { crc32, deflateSync } from 'node:zlib';

/**
 * The connector's icon: a check mark on the brand colour, drawn here rather than kept as a binary
 * nobody can review. Power Platform takes a PNG; this writes the smallest valid one, 8-bit RGB.
 */
export const BRAND_COLOUR = '#0F6CBD';
const SIZE_PX = 230;

/** Distance from point p to the segment a–b, in pixels. */
function distanceToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

export function connectorIconPng(): Buffer {
  const brand = [1, 3, 5].map((start) => parseInt(BRAND_COLOUR.slice(start, start + 2), 16));
  const stroke = SIZE_PX * 0.07;
  const rows: Buffer[] = [];
  for (let y = 0; y < SIZE_PX; y++) {
    const row = Buffer.alloc(1 + SIZE_PX * 3); // filter byte 0: none
    for (let x = 0; x < SIZE_PX; x++) {
      const onMark = distanceToSegment(x, y, 62, 120, 100, 158) <= stroke || distanceToSegment(x, y, 100, 158, 170, 78) <= stroke;
      const [r, g, b] = onMark ? [255, 255, 255] : brand;
      row.set([r ?? 0, g ?? 0, b ?? 0], 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE_PX, 0);
  header.writeUInt32BE(SIZE_PX, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
