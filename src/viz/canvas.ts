/**
 * An RGB raster to draw slice pictures on: rectangles, single pixels and bitmap-font text, encoded to PNG
 * with pngjs. Kept deliberately small; everything picture-specific lives in renderSlices.ts.
 */
import { PNG } from 'pngjs';
import { assert } from '../util/index.js';
import { glyphFor, GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, textWidth } from './bitmapFont.js';

export type Rgb = readonly [number, number, number];

export class Canvas {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major from the top-left pixel; alpha stays 255 (pngjs's input layout). */
  readonly rgba: Uint8Array;

  constructor(width: number, height: number, background: Rgb) {
    assert(
      Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0,
      () => `Canvas: width and height must be positive integers, got ${width}x${height}`,
    );
    this.width = width;
    this.height = height;
    this.rgba = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Pixels outside the canvas are ignored, so text and markers may run off an edge without checks at every call. */
  setPixel(x: number, y: number, colour: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const at = (y * this.width + x) * 4;
    this.rgba[at] = colour[0];
    this.rgba[at + 1] = colour[1];
    this.rgba[at + 2] = colour[2];
    this.rgba[at + 3] = 255;
  }

  fillRect(x: number, y: number, width: number, height: number, colour: Rgb): void {
    for (let yy = Math.max(0, y); yy < Math.min(this.height, y + height); yy++) {
      for (let xx = Math.max(0, x); xx < Math.min(this.width, x + width); xx++) this.setPixel(xx, yy, colour);
    }
  }

  /** Draws one line of text with its top-left corner at (x, y), each font pixel a `scale`x`scale` block; returns the width drawn. */
  drawText(text: string, x: number, y: number, colour: Rgb, scale = 1): number {
    assert(Number.isInteger(scale) && scale >= 1, () => `Canvas.drawText: scale must be a positive integer, got ${scale}`);
    let left = x;
    for (const char of text) {
      const rows = glyphFor(char);
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if ((rows[row] >> (GLYPH_WIDTH - 1 - col)) & 1) this.fillRect(left + col * scale, y + row * scale, scale, scale, colour);
        }
      }
      left += GLYPH_ADVANCE * scale;
    }
    return textWidth(text, scale);
  }

  /** 8-bit RGB PNG (no alpha channel: the picture is opaque). */
  encodePng(): Uint8Array {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.rgba.buffer, this.rgba.byteOffset, this.rgba.byteLength);
    return new Uint8Array(PNG.sync.write(png, { colorType: 2 }));
  }
}
