/** hOCR 1.2 built from the result's words, so OCRed and text-layer pages come out alike. */
import type { OcrResult, PageResult, Word } from '../core/result.ts';

export function toHocr(result: OcrResult): string {
  const pages = result.pages.map(pageHocr).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="${escape(result.languages[0] ?? 'eng')}" lang="${escape(result.languages[0] ?? 'eng')}">
<head>
<title></title>
<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
<meta name="ocr-system" content="docvault-ocr ${escape(result.engine.name)} ${escape(result.engine.version)}"/>
<meta name="ocr-capabilities" content="ocr_page ocr_line ocrx_word"/>
</head>
<body>
${pages}
</body>
</html>
`;
}

function pageHocr(page: PageResult): string {
  const id = page.number;
  const lines = groupLines(page.words)
    .map((words, li) => {
      const wordsHtml = words
        .map(
          (w, wi) =>
            `<span class="ocrx_word" id="word_${id}_${li + 1}_${wi + 1}" title="${bbox(w.bbox)}; x_wconf ${Math.round(w.confidence)}">${escape(w.text)}</span>`,
        )
        .join(' ');
      return `  <span class="ocr_line" id="line_${id}_${li + 1}" title="${bbox(union(words))}">${wordsHtml}</span>`;
    })
    .join('\n');
  const title = `image "page-${id}"; bbox 0 0 ${Math.round(page.width)} ${Math.round(page.height)}; ppageno ${id - 1}; scan_res ${Math.round(page.dpi)} ${Math.round(page.dpi)}`;
  return ` <div class="ocr_page" id="page_${id}" title='${title}' data-source="${page.source}" data-status="${page.status}">\n${lines}\n </div>`;
}

/** The page's words grouped by line, lines by their number (reading order), words as the page holds them. */
export function groupLines<W extends Pick<Word, 'line'>>(words: readonly W[]): W[][] {
  const lines = new Map<number, W[]>();
  for (const w of words) {
    const line = lines.get(w.line);
    if (line) line.push(w);
    else lines.set(w.line, [w]);
  }
  return [...lines.entries()].sort((a, b) => a[0] - b[0]).map(([, ws]) => ws);
}

function union(words: Word[]): Word['bbox'] {
  return words.reduce(
    (acc, w) => ({ x0: Math.min(acc.x0, w.bbox.x0), y0: Math.min(acc.y0, w.bbox.y0), x1: Math.max(acc.x1, w.bbox.x1), y1: Math.max(acc.y1, w.bbox.y1) }),
    { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity },
  );
}

function bbox(b: Word['bbox']): string {
  return `bbox ${Math.round(b.x0)} ${Math.round(b.y0)} ${Math.round(b.x1)} ${Math.round(b.y1)}`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
