import { readFileSync } from 'node:fs';
import { detectDocumentType } from '../shared/core/document-type.ts';
import { documentOpener } from '../shared/engines/document-opener.ts';
import { hasDarkArea } from '../shared/engines/tesseract-page.ts';
for (const f of process.argv.slice(2)) {
  const bytes = new Uint8Array(readFileSync(f));
  const source = await documentOpener.open(bytes, await detectDocumentType(bytes), { dpi: 300, defaultImageDpi: 300, maxPixelsPerPage: 1e8 });
  const img = await (await source.page(0)).render();
  await source.close();
  const tile = Math.max(8, Math.round(img.dpi / 10));
  const cols = Math.floor(img.width / tile);
  const lines: string[] = [];
  for (let top = 0; top + tile <= img.height; top += tile) {
    let l = '';
    for (let c = 0; c < cols; c++) { let s = 0; for (let y = top; y < top + tile; y++) for (let x = c * tile; x < (c + 1) * tile; x++) s += img.data[y * img.width + x]!; l += s / tile / tile < 100 ? '#' : '.'; }
    lines.push(l);
  }
  console.log(f, img.width, img.height, img.dpi, hasDarkArea(img));
  console.log(lines.filter((l) => /\.#{4,}\./.test(l)).slice(0, 8).join('\n'));
}
