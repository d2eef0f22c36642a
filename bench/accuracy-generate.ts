/**
 * Generated pages for bench:accuracy, each with its ground truth: tables (ruled and unruled, known
 * text, a few fonts, 150–300 dpi) and variants of the public samples (turned, inverted, light on
 * dark, low resolution, JPEG-compressed, transparent), so each reading defect has a case.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';

export interface BenchPage {
  kind: string;
  name: string;
  file: string;
  truth: string;
}

const FONTS = ['DejaVu Sans', 'Liberation Serif', 'DejaVu Sans Mono'];
const ITEMS = ['Paper clips', 'Stapler', 'Printer toner', 'Envelopes', 'Notebook', 'Desk lamp', 'Coffee beans', 'Whiteboard', 'Cable ties', 'Folders'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A small deterministic generator, so every run builds the same tables. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function tableRows(seed: number): string[][] {
  const next = random(seed);
  const rows = [['Item', 'Code', 'Date', 'Qty', 'Amount']];
  for (let i = 0; i < 9; i++) {
    const item = ITEMS[Math.floor(next() * ITEMS.length)]!;
    const code = `${String.fromCharCode(65 + Math.floor(next() * 26))}${Math.floor(1000 + next() * 9000)}`;
    const date = `${1 + Math.floor(next() * 28)} ${MONTHS[Math.floor(next() * 12)]} 2024`;
    const qty = String(1 + Math.floor(next() * 40));
    const amount = (next() * 900 + 1).toFixed(2);
    rows.push([item, code, date, qty, amount]);
  }
  return rows;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

async function renderTable(rows: string[][], font: string, dpi: number, ruled: boolean, file: string): Promise<void> {
  const px = (pt: number) => Math.round((pt * dpi) / 72);
  const fontSize = px(10);
  const rowHeight = px(20);
  const widths = [px(110), px(60), px(85), px(40), px(70)];
  const left = px(36);
  const top = px(48);
  const width = left * 2 + widths.reduce((a, b) => a + b, 0);
  const height = top * 2 + rowHeight * rows.length;
  const parts: string[] = [`<rect width="100%" height="100%" fill="white"/>`];
  rows.forEach((row, r) => {
    let x = left;
    row.forEach((cell, c) => {
      const y = top + r * rowHeight + Math.round(rowHeight * 0.68);
      const weight = r === 0 ? 'bold' : 'normal';
      parts.push(`<text x="${x + px(4)}" y="${y}" font-family="${font}" font-size="${fontSize}" font-weight="${weight}" fill="black">${escapeXml(cell)}</text>`);
      x += widths[c]!;
    });
  });
  if (ruled) {
    const stroke = Math.max(1, px(0.8));
    const right = width - left;
    for (let r = 0; r <= rows.length; r++) parts.push(`<line x1="${left}" y1="${top + r * rowHeight}" x2="${right}" y2="${top + r * rowHeight}" stroke="black" stroke-width="${stroke}"/>`);
    let x = left;
    for (let c = 0; c <= widths.length; c++) {
      parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + rows.length * rowHeight}" stroke="black" stroke-width="${stroke}"/>`);
      x += widths[c] ?? 0;
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  await sharp(Buffer.from(svg), { density: 72 }).greyscale().png().withMetadata({ density: dpi }).toFile(file);
}

export async function generateTables(dir: string): Promise<BenchPage[]> {
  const pages: BenchPage[] = [];
  const dpis = [150, 200, 300];
  let seed = 1;
  for (const ruled of [true, false]) {
    for (const [i, font] of FONTS.entries()) {
      const dpi = dpis[(i + (ruled ? 0 : 1)) % dpis.length]!;
      const rows = tableRows(seed++);
      const name = `table_${ruled ? 'ruled' : 'unruled'}_${font.replace(/\s+/g, '').toLowerCase()}_${dpi}dpi`;
      const file = join(dir, `${name}.png`);
      await renderTable(rows, font, dpi, ruled, file);
      pages.push({ kind: 'table', name, file, truth: rows.map((r) => r.join(' ')).join('\n') });
    }
  }
  return pages;
}

interface Variant {
  suffix: string;
  make: (input: Sharp, meta: { width: number; height: number; dpi: number }) => Promise<Buffer>;
}

const grey = (s: Sharp) => s.greyscale();
const VARIANTS: Variant[] = [
  ...[5, 10, 30].map((deg) => ({
    suffix: `rot${deg}`,
    make: (s: Sharp, m: { dpi: number }) => grey(s).rotate(deg, { background: '#ffffff' }).png().withMetadata({ density: m.dpi }).toBuffer(),
  })),
  { suffix: 'inverted', make: (s, m) => grey(s).negate().png().withMetadata({ density: m.dpi }).toBuffer() },
  {
    // Light text over a dark, uneven background (a gradient with noise), as on a photograph.
    suffix: 'light-on-dark',
    make: async (s, m) => {
      const { data, info } = await grey(s).raw().toBuffer({ resolveWithObject: true });
      const next = random(7);
      const out = Buffer.alloc(data.length);
      for (let y = 0; y < info.height; y++) {
        for (let x = 0; x < info.width; x++) {
          const i = y * info.width + x;
          const background = 30 + (60 * x) / info.width + (30 * y) / info.height + next() * 25;
          const ink = 1 - data[i]! / 255;
          out[i] = Math.round(background + ink * (235 - background));
        }
      }
      return sharp(out, { raw: { width: info.width, height: info.height, channels: 1 } }).png().withMetadata({ density: m.dpi }).toBuffer();
    },
  },
  {
    suffix: 'lowres',
    make: (s, m) => grey(s).resize(Math.round(m.width * 0.6)).png().withMetadata({ density: Math.round(m.dpi * 0.6) }).toBuffer(),
  },
  { suffix: 'jpeg', make: (s, m) => s.jpeg({ quality: 20 }).withMetadata({ density: m.dpi }).toBuffer() },
  {
    // Black text on a transparent background, turned 10°, with 72 dpi declared whatever the scan was.
    suffix: 'transparent-rot10-72dpi',
    make: async (s) => {
      const { data, info } = await grey(s).rotate(10, { background: '#ffffff' }).raw().toBuffer({ resolveWithObject: true });
      const rgba = Buffer.alloc(info.width * info.height * 4);
      for (let i = 0; i < info.width * info.height; i++) rgba[i * 4 + 3] = 255 - data[i]!;
      return sharp(rgba, { raw: { width: info.width, height: info.height, channels: 4 } }).png().withMetadata({ density: 72 }).toBuffer();
    },
  },
];

export const VARIANT_BASES = ['tess_phototest.tif', 'tessjs_testocr.png'];

export async function generateVariants(samplesDir: string, dir: string): Promise<BenchPage[]> {
  const pages: BenchPage[] = [];
  for (const base of VARIANT_BASES) {
    const source = join(samplesDir, base);
    const stem = base.replace(/\.[^.]+$/, '');
    const truth = readFileSync(join(samplesDir, `${stem}.gt.txt`), 'utf8');
    const meta = await sharp(source).metadata();
    const m = { width: meta.width, height: meta.height, dpi: meta.density ?? 300 };
    for (const variant of VARIANTS) {
      const bytes = await variant.make(sharp(source).flatten({ background: '#ffffff' }), m);
      const file = join(dir, `${stem}_${variant.suffix}.${variant.suffix === 'jpeg' ? 'jpg' : 'png'}`);
      writeFileSync(file, bytes);
      pages.push({ kind: `variant:${variant.suffix}`, name: `${stem}_${variant.suffix}`, file, truth });
    }
  }
  return pages;
}
