/** The pipeline alone, with engine doubles at the ports: orchestration, limits, degradation. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DocVaultError } from '../../../shared/core/errors.ts';
import { rotateGrey } from '../../../shared/core/grey-image.ts';
import { processDocument, type PageProgress } from '../../../shared/core/pipeline.ts';
import type { DocumentOpener, GreyImage, OcrEngine, OrientationGuess, RecognizedPage, SourcePage, TextLayer } from '../../../shared/core/ports.ts';
import { fixture } from '../../support/fixtures.ts';

const PDF = fixture('ocrmypdf_tagged.pdf'); // only its magic bytes matter here: the opener is a double
const PNG = fixture('tessjs_simple_png.png');

interface FakePage {
  textLayer?: TextLayer;
  /** What the page "says" when OCRed upright; a turned page reads as noise until turned back. */
  text?: string;
  turned?: 0 | 90 | 180 | 270;
  /** Read turned by 90° either way, the text still comes out (as tesseract manages), at this confidence, in tall word boxes. */
  sidewaysConfidence?: number;
  fail?: DocVaultError;
}

function opener(pages: FakePage[]): DocumentOpener {
  return {
    async open(_bytes, type) {
      return {
        type,
        pageCount: pages.length,
        async page(index): Promise<SourcePage> {
          const p = pages[index]!;
          return {
            number: index + 1,
            textLayer: async () => p.textLayer ?? null,
            render: async (): Promise<GreyImage> => {
              if (p.fail) throw p.fail;
              // Upright, a page is 4×2 with a marker (255) top-left and its index + 1 beside it; a turned page is
              // those pixels turned, so the engine double can tell whether the pipeline turned it back.
              const upright = { width: 4, height: 2, data: Uint8Array.from([255, index + 1, 0, 0, 0, 0, 0, 0]), dpi: 300 };
              return rotateGrey(upright, p.turned ?? 0);
            },
            displayImage: async () => ({ format: 'jpeg', bytes: new Uint8Array([1]), width: 4, height: 2 }),
          };
        },
        close: async () => undefined,
      };
    },
  };
}

/** The opener with `onRender` told of each page render (by page index) before it happens. */
function watchingRenders(base: DocumentOpener, onRender: (index: number) => void): DocumentOpener {
  return {
    async open(bytes, type, options) {
      const source = await base.open(bytes, type, options);
      return {
        ...source,
        async page(index) {
          const page = await source.page(index);
          return { ...page, render: async () => (onRender(index), page.render()) };
        },
      };
    },
  };
}

/** OSD of the double: no verdict, always "upright", or the page's true turn back. */
type FakeOsd = 'none' | 'knows' | 'truth';

function engine(pages: FakePage[], osd: FakeOsd = 'none'): OcrEngine & { calls: number; osdCalls: number } {
  const e = {
    name: 'fake',
    version: '0',
    calls: 0,
    osdCalls: 0,
    async recognize(image: GreyImage): Promise<RecognizedPage> {
      e.calls += 1;
      const page = pages[image.data.find((v) => v > 0 && v < 255)! - 1]!;
      const upright = image.width === 4 && image.data[0] === 255 && image.data[1]! < 255 && image.data[1]! > 0;
      if (image.width === 2 && page.sidewaysConfidence) {
        const text = page.text ?? '';
        const words = text.split(/\s+/).filter(Boolean).map((t, i) => ({ text: t, confidence: page.sidewaysConfidence!, bbox: { x0: 0, y0: i * 40, x1: 10, y1: i * 40 + 6 * t.length }, line: i }));
        return { text, confidence: page.sidewaysConfidence, words, skewDegrees: 0, width: image.width, height: image.height };
      }
      const text = upright ? (page.text ?? '') : 'x~ ,.';
      const words = upright ? text.split(/\s+/).filter(Boolean).map((t, i) => ({ text: t, confidence: 95, bbox: { x0: i * 40, y0: 0, x1: i * 40 + 6 * t.length, y1: 10 }, line: 0 })) : [];
      return { text, confidence: upright ? 95 : 20, words, skewDegrees: 0, width: image.width, height: image.height };
    },
    async detectOrientation(image: GreyImage): Promise<OrientationGuess | null> {
      e.osdCalls += 1;
      if (osd === 'none') return null;
      if (osd === 'knows') return { degrees: 0, confidence: 15 };
      const turned = pages[image.data.find((v) => v > 0 && v < 255)! - 1]!.turned ?? 0;
      return { degrees: ((360 - turned) % 360) as OrientationGuess['degrees'], confidence: 15 };
    },
  };
  return e;
}

const layer = (text: string): TextLayer => ({ text, words: [{ text, bbox: { x0: 0, y0: 0, x1: 10, y1: 10 }, line: 0 }], width: 612, height: 792 });

describe('processDocument', () => {
  it("tells the engine when the page's lines were measured level, so it skips its own skew pass", async () => {
    const { data, info } = await sharp(fixture('tess_phototest.tif')).greyscale().raw().toBuffer({ resolveWithObject: true });
    const scan: GreyImage = { width: info.width, height: info.height, data: new Uint8Array(data), dpi: 200 };
    const blank: GreyImage = { width: 40, height: 20, data: new Uint8Array(800).fill(255), dpi: 200 };
    const images = [scan, blank];
    const real: DocumentOpener = {
      async open(_bytes, type) {
        return {
          type,
          pageCount: images.length,
          async page(index) {
            return { number: index + 1, textLayer: async () => null, render: async () => images[index]!, displayImage: async () => ({ format: 'jpeg', bytes: new Uint8Array([1]), width: 1, height: 1 }) };
          },
          close: async () => undefined,
        };
      },
    };
    const seen: Array<boolean | undefined> = [];
    const recorder: OcrEngine = {
      name: 'fake',
      version: '0',
      async recognize(image, options) {
        seen.push(options.level);
        return { text: 'The quick brown fox', confidence: 95, words: ['The', 'quick', 'brown'].map((t, i) => ({ text: t, confidence: 95, bbox: { x0: i * 50, y0: 0, x1: i * 50 + 40, y1: 10 }, line: 0 })), skewDegrees: 0, width: image.width, height: image.height };
      },
      detectOrientation: async () => null,
    };
    await processDocument(PNG, {}, { opener: real, engine: recorder, concurrency: 1 });
    expect(seen).toEqual([true, undefined]);
  });

  it('renders the next page while the engine reads one, and reads the pages one at a time, in order', async () => {
    const pages: FakePage[] = [{ text: 'one' }, { text: 'two' }, { text: 'three' }];
    const events: string[] = [];
    const watched = watchingRenders(opener(pages), (index) => events.push(`render ${index + 1}`));
    const e = engine(pages);
    let reading = 0;
    const slow: OcrEngine = {
      ...e,
      async recognize(image, options) {
        reading += 1;
        expect(reading).toBe(1); // concurrency 1: never two reads at once
        const number = image.data.find((v) => v > 0 && v < 255)!;
        events.push(`read ${number}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push(`read ${number} done`);
        reading -= 1;
        return e.recognize(image, options);
      },
    };
    const { result } = await processDocument(PNG, {}, { opener: watched, engine: slow, concurrency: 1 });
    expect(result.text).toBe('one\n\ntwo\n\nthree');
    // Page 2 was rendered before page 1's read ended; reads went in page order.
    expect(events.indexOf('render 2')).toBeLessThan(events.indexOf('read 1 done'));
    expect(events.filter((x) => /^read \d$/.test(x))).toEqual(['read 1', 'read 2', 'read 3']);
  });

  it('with language=auto renders the first page once: the render OSD told the script from is the one read', async () => {
    const pages: FakePage[] = [{ text: 'one' }, { text: 'two' }];
    const renders = [0, 0];
    const counted = watchingRenders(opener(pages), (index) => (renders[index]! += 1));
    const e = engine(pages);
    e.detectOrientation = async () => ({ degrees: 0, confidence: 15, script: 'Latin', scriptConfidence: 5 });
    const { result } = await processDocument(PNG, { languages: 'auto' }, { opener: counted, engine: e, concurrency: 1, installedLanguages: async () => ['deu', 'osd'] });
    expect(result.languages).toEqual(['deu']);
    expect(result.text).toBe('one\n\ntwo');
    expect(renders).toEqual([1, 1]);
  });

  it('reads every page, in order, reporting progress once per page', async () => {
    const pages: FakePage[] = [{ text: 'first page' }, { text: 'second page' }, { text: 'third page' }];
    const progress: PageProgress[] = [];
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: engine(pages), concurrency: 2 }, (p) => progress.push(p));
    expect(result.pages.map((p) => p.text)).toEqual(['first page', 'second page', 'third page']);
    expect(result.text).toBe('first page\n\nsecond page\n\nthird page');
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3]);
    expect(progress.every((p) => p.total === 3)).toBe(true);
    expect(result.confidence).toBe(95);
    expect(result.v).toBe(2);
  });

  it('starts as many of the engine\'s workers as the pages can keep busy before the first read, in the languages read', async () => {
    const run = async (pages: FakePage[], concurrency: number, range?: { first: number; last: number }) => {
      const events: string[] = [];
      const e = engine(pages);
      const warming: OcrEngine = {
        ...e,
        recognize: (image, options) => (events.push('read'), e.recognize(image, options)),
        warmUp: async (languages, workers) => void events.push(`warm ${languages.join('+')} ${workers}`),
      };
      await processDocument(PDF, { languages: 'eng+deu', ...(range ? { pages: range } : {}) }, { opener: opener(pages), engine: warming, concurrency });
      return events.filter((x, i) => x !== 'read' || events[i - 1] !== 'read');
    };
    expect(await run([{ text: 'one' }, { text: 'two' }, { text: 'three' }], 2)).toEqual(['warm eng+deu 2', 'read']);
    expect(await run([{ text: 'one' }, { text: 'two' }, { text: 'three' }], 4)).toEqual(['warm eng+deu 3', 'read']);
    // One page to read (a one-page document, or a shard of one page): the worker its read starts is enough.
    expect(await run([{ text: 'one' }], 2)).toEqual(['read']);
    expect(await run([{ text: 'one' }, { text: 'two' }], 2, { first: 2, last: 2 })).toEqual(['read']);
  });

  it('reads only a shard\'s pages when given a range, numbered as in the document; a shard of failed pages is no failure of its own', async () => {
    const pages: FakePage[] = [{ text: 'one' }, { fail: new DocVaultError('PAGE_TIMEOUT', 'too slow') }, { fail: new DocVaultError('PAGE_TIMEOUT', 'too slow') }, { text: 'four' }];
    const progress: PageProgress[] = [];
    const e = engine(pages);
    const { result, artifacts } = await processDocument(PDF, { pages: { first: 2, last: 3 } }, { opener: opener(pages), engine: e, concurrency: 2 }, (p) => progress.push(p));
    expect(result.pageCount).toBe(4);
    expect(result.pages.map((p) => [p.number, p.status])).toEqual([
      [2, 'failed'],
      [3, 'failed'],
    ]);
    expect(artifacts.map((a) => a.number)).toEqual([2, 3]);
    expect(progress.map((p) => [p.done, p.total])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(e.calls).toBe(0);
    await expect(processDocument(PDF, { pages: { first: 3, last: 5 } }, { opener: opener(pages), engine: e, concurrency: 1 })).rejects.toThrow(/pages 3–5 are not within the document's 4 pages/);
  });

  it('judges metadata, category and fields once, on the whole document: a shard\'s part carries its pages only', async () => {
    const invoice = 'INVOICE\nInvoice number: INV-2041\nInvoice date: 2026-11-30\nBill to: Example Ltd\nSubtotal 40.00\nTax 5.00\nTotal due: $45.00\nbilling@example.com';
    const pages: FakePage[] = [{ text: invoice }, { text: 'terms and conditions' }];
    const whole = await processDocument(PDF, {}, { opener: opener(pages), engine: engine(pages), concurrency: 1 });
    expect(whole.result.classification.category).toBe('invoice');
    expect(whole.result.metadata.emails).toEqual(['billing@example.com']);
    const part = await processDocument(PDF, { pages: { first: 1, last: 1 } }, { opener: opener(pages), engine: engine(pages), concurrency: 1 });
    expect(part.result.text).toBe(invoice);
    expect(part.result).toMatchObject({ classification: { category: 'other', scores: {} }, metadata: { emails: [], amounts: [] }, fields: null });
  });

  it('takes a page with a text layer from it, without OCR', async () => {
    const pages: FakePage[] = [{ textLayer: layer('This page was born digital and has plenty of text.') }, { text: 'scanned page' }];
    const e = engine(pages);
    const { result } = await processDocument(PDF, {}, { opener: opener(pages), engine: e, concurrency: 1 });
    expect(result.pages[0]).toMatchObject({ source: 'text-layer', confidence: 100, dpi: 72 });
    expect(result.pages[1]).toMatchObject({ source: 'ocr', text: 'scanned page' });
    expect(e.calls).toBe(1);
  });

  it('OCRs a page whose text layer is too thin to trust (a scanner stamp, say)', async () => {
    const pages: FakePage[] = [{ textLayer: layer('p1'), text: 'real content of the scan' }];
    const { result } = await processDocument(PDF, {}, { opener: opener(pages), engine: engine(pages), concurrency: 1 });
    expect(result.pages[0]).toMatchObject({ source: 'ocr', text: 'real content of the scan' });
  });

  it('marks one failing page and still completes the document', async () => {
    const pages: FakePage[] = [{ text: 'good page' }, { fail: new DocVaultError('PAGE_TIMEOUT', 'too slow') }, { text: 'another good page' }];
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: engine(pages), concurrency: 2 });
    expect(result.pages.map((p) => p.status)).toEqual(['ok', 'failed', 'ok']);
    expect(result.pages[1]!.error).toEqual({ code: 'PAGE_TIMEOUT', message: 'too slow' });
    expect(result.confidence).toBe(95); // the failed page does not drag the mean down
  });

  it('fails the document when every page fails, with the first page’s reason', async () => {
    const pages: FakePage[] = [{ fail: new DocVaultError('IMAGE_TOO_LARGE', 'huge') }];
    await expect(processDocument(PNG, {}, { opener: opener(pages), engine: engine(pages), concurrency: 1 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
    });
  });

  it.each([
    ['EMPTY_FILE', new Uint8Array(), {}],
    ['FILE_TOO_LARGE', PNG, { limits: { maxBytes: 10 } }],
    ['TOO_MANY_PAGES', PNG, { limits: { maxPages: 2 } }],
    ['UNSUPPORTED_TYPE', new TextEncoder().encode('plain text is not a document'), {}],
  ] as const)('refuses with %s', async (code, bytes, options) => {
    const pages: FakePage[] = [{ text: 'a' }, { text: 'b' }, { text: 'c' }];
    await expect(processDocument(bytes, options, { opener: opener(pages), engine: engine(pages), concurrency: 1 })).rejects.toMatchObject({ code });
  });

  it('rejects a malformed language list before opening anything', async () => {
    const pages: FakePage[] = [{ text: 'a' }];
    await expect(processDocument(PNG, { languages: 'eng+../../etc' }, { opener: opener(pages), engine: engine(pages), concurrency: 1 })).rejects.toThrow(/language/);
  });

  it('with no orientation verdict, tries the other orientations of an unsure page and keeps the best read', async () => {
    const pages: FakePage[] = [{ text: 'words that only read upright', turned: 90 }];
    const e = engine(pages);
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: e, concurrency: 1 });
    expect(e.calls).toBe(4);
    expect(result.pages[0]!.text).toBe('words that only read upright');
    expect(result.pages[0]!.rotation.orientation).toBe(270);
  });

  it('reads a page once, without asking OSD, when the read is sure of enough words', async () => {
    const pages: FakePage[] = [{ text: 'already upright text' }];
    const e = engine(pages, 'truth');
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: e, concurrency: 1 });
    expect(e.calls).toBe(1);
    expect(e.osdCalls).toBe(0);
    expect(result.pages[0]!.rotation.orientation).toBe(0);
  });

  it('asks OSD about an unsure read and turns the page by its verdict: two reads, not four', async () => {
    const pages: FakePage[] = [{ text: 'upside down until turned', turned: 180 }];
    const e = engine(pages, 'truth');
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: e, concurrency: 1 });
    expect(e.osdCalls).toBe(1);
    expect(e.calls).toBe(2);
    expect(result.pages[0]!.text).toBe('upside down until turned');
    expect(result.pages[0]!.rotation.orientation).toBe(180);
  });

  it('in a document turned on every page, reads later pages at the turn the first one needed', async () => {
    const pages: FakePage[] = [1, 2, 3].map((n) => ({ text: `upside down page number ${n}`, turned: 180 as const }));
    const e = engine(pages, 'truth');
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: e, concurrency: 1 });
    expect(result.pages.map((p) => p.text)).toEqual(pages.map((p) => p.text));
    expect(result.pages.map((p) => p.rotation.orientation)).toEqual([180, 180, 180]);
    expect(e.osdCalls).toBe(1); // the first page only
    expect(e.calls).toBe(4); // 2 for the first page, 1 each after

    // An upright page after turned ones is still read upright.
    const mixed: FakePage[] = [{ text: 'upside down first page', turned: 180 }, { text: 'then an upright page' }];
    const m = engine(mixed, 'truth');
    const read = await processDocument(PNG, {}, { opener: opener(mixed), engine: m, concurrency: 1 });
    expect(read.result.pages.map((p) => [p.text, p.rotation.orientation])).toEqual([
      ['upside down first page', 180],
      ['then an upright page', 0],
    ]);
  });

  it('with no OSD verdict, reads a page as it is too before taking the turn earlier pages needed', async () => {
    // Page 1 is turned and has a verdict; page 2 is upright, reads fairly well at the hinted turn
    // too (in tall word boxes, so not surely upright), and OSD has nothing to say about it.
    const pages: FakePage[] = [{ text: 'sideways first page', turned: 90 }, { text: 'Total due today', sidewaysConfidence: 80 }];
    const e = engine(pages, 'truth');
    const osd = e.detectOrientation.bind(e);
    e.detectOrientation = async (image) => (e.osdCalls === 0 ? osd(image) : (e.osdCalls++, null));
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: e, concurrency: 1 });
    expect(result.pages.map((p) => [p.text, p.rotation.orientation])).toEqual([
      ['sideways first page', 270],
      ['Total due today', 0],
    ]);
  });

  it('keeps an upright read of few words when OSD says upright (no four-way search)', async () => {
    const pages: FakePage[] = [{ text: 'Total' }];
    const e = engine(pages, 'knows');
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: e, concurrency: 1 });
    expect(e.osdCalls).toBe(1);
    expect(e.calls).toBe(1);
    expect(result.pages[0]!.text).toBe('Total');
  });

  it('extracts metadata and a category from the text', async () => {
    const pages: FakePage[] = [{ text: 'INVOICE Invoice No. INV-2024-001 Date: 2024-03-15 Total due: $1,250.00 billing@example.com' }];
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: engine(pages), concurrency: 1 });
    expect(result.metadata.emails).toContain('billing@example.com');
    expect(result.metadata.dates.map((d) => d.iso)).toContain('2024-03-15');
    expect(result.classification.category).toBe('invoice');
    expect(result.fields?.total).toMatchObject({ value: 1250, currency: 'USD' });
  });
});

/** An engine double for one upright page whose reads are given: as it is, and turned by 180°. */
function unsureUprightPage(asIs: string, turned: string): OcrEngine & { osdCalls: number } {
  const toRead = (text: string, confidence: number, image: GreyImage): RecognizedPage => ({
    text,
    confidence,
    words: text.split(/\s+/).filter(Boolean).map((t, i) => ({ text: t, confidence, bbox: { x0: i * 40, y0: 0, x1: i * 40 + 6 * t.length, y1: 10 }, line: 0 })),
    skewDegrees: 0,
    width: image.width,
    height: image.height,
  });
  const e = {
    name: 'fake',
    version: '0',
    osdCalls: 0,
    recognize: async (image: GreyImage) => (image.data[0] === 255 ? toRead(asIs, 55, image) : toRead(turned, 70, image)),
    // OSD wrongly says the page needs turning by 180°.
    detectOrientation: async (): Promise<OrientationGuess> => {
      e.osdCalls += 1;
      return { degrees: 180, confidence: 4 };
    },
  };
  return e;
}

describe('orientation: a turn is kept only when it reads clearly better', () => {
  it('keeps an unsure upright receipt as it is when OSD says 180° and the turned read is garbage', async () => {
    const e = unsureUprightPage('GROCERY MART TOTAL 12.50 CASH 20.00 CHANGE 7.50 THANK YOU', 'OS˙L 0S˙ZI lI 1lI ,, TVLOL ~ ˙˙ IlI');
    const pages: FakePage[] = [{}];
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: e, concurrency: 1 });
    expect(e.osdCalls).toBe(1);
    expect(result.pages[0]!.rotation.orientation).toBe(0);
    expect(result.pages[0]!.text).toContain('GROCERY MART');
  });

  it('still turns a page whose turned read has clearly more words', async () => {
    const e = unsureUprightPage('pl ~~ ,. ʇɐ', 'Dear customer your order has shipped today');
    const { result } = await processDocument(PNG, {}, { opener: opener([{}]), engine: e, concurrency: 1 });
    expect(result.pages[0]!.rotation.orientation).toBe(180);
  });
});

describe('second engine, chosen per page', () => {
  function secondEngine(text: string, languages = ['eng']): OcrEngine & { calls: number } {
    const e = {
      name: 'second',
      version: '1',
      calls: 0,
      reads: (l: readonly string[]) => l.every((x) => languages.includes(x)),
      recognize: async (image: GreyImage): Promise<RecognizedPage> => {
        e.calls += 1;
        const words = text.split(' ').map((t, i) => ({ text: t, confidence: 90, bbox: { x0: i * 40, y0: 0, x1: i * 40 + 30, y1: 10 }, line: 0 }));
        return { text, confidence: 90, words, skewDegrees: 0, width: image.width, height: image.height, strategy: { scale: 1 } };
      },
      detectOrientation: async () => null,
    };
    return e;
  }

  it('leaves a clean page to the first engine and says so', async () => {
    const pages: FakePage[] = [{ text: 'already upright clean text here' }];
    const second = secondEngine('other words');
    const { result } = await processDocument(PNG, {}, { opener: opener(pages), engine: engine(pages), secondEngine: second, concurrency: 1 });
    expect(second.calls).toBe(0);
    expect(result.pages[0]!.strategy).toMatchObject({ engine: 'fake', reason: 'clean read' });
  });

  it('reads an unsure page with the second engine and keeps the read with more words', async () => {
    const e = unsureUprightPage('TOTAL 12.50', '~');
    const second = secondEngine('GROCERY MART TOTAL 12.50 CASH 20.00 CHANGE THANK YOU');
    const { result } = await processDocument(PNG, {}, { opener: opener([{}]), engine: e, secondEngine: second, concurrency: 1 });
    expect(second.calls).toBe(1);
    expect(result.pages[0]!.text).toContain('GROCERY MART');
    expect(result.pages[0]!.strategy?.engine).toBe('second');
  });

  it('keeps the second engine\'s plainly upright read of an unsure page without searching its orientation', async () => {
    const e = unsureUprightPage('TOTAL 12.50', '~');
    const second = secondEngine('GROCERY MART MAIN STREET ROASTED CHICKEN RICE TOTAL 12.50 CASH 20.00 CHANGE THANK YOU COME AGAIN');
    const { result } = await processDocument(PNG, {}, { opener: opener([{}]), engine: e, secondEngine: second, concurrency: 1 });
    expect(e.osdCalls).toBe(0);
    expect(second.calls).toBe(1);
    expect(result.pages[0]!.rotation.orientation).toBe(0);
    expect(result.pages[0]!.strategy?.engine).toBe('second');
  });

  it('searches the orientation of an unsure page when the second engine\'s read is not plainly upright, reading it once', async () => {
    const e = unsureUprightPage('TOTAL 12.50', '~');
    const second = secondEngine('GROCERY MART TOTAL 12.50 CASH 20.00 CHANGE THANK YOU');
    await processDocument(PNG, {}, { opener: opener([{}]), engine: e, secondEngine: second, concurrency: 1 });
    expect(e.osdCalls).toBe(1);
    expect(second.calls).toBe(1);
  });

  describe('a till slip', () => {
    // A page four times taller than wide, with ink (a blank one goes to no second engine): the shape of a till slip,
    // which the second engine reads whatever the first does.
    const slip: DocumentOpener = {
      async open(_bytes, type) {
        return {
          type,
          pageCount: 1,
          page: async (): Promise<SourcePage> => ({
            number: 1,
            textLayer: async () => null,
            render: async (): Promise<GreyImage> => ({ width: 2, height: 8, data: Uint8Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? 0 : 255)), dpi: 300 }),
            displayImage: async () => ({ format: 'jpeg', bytes: new Uint8Array([1]), width: 2, height: 8 }),
          }),
          close: async () => undefined,
        };
      },
    };
    const RECEIPT = 'GROCERY MART MAIN STREET ROASTED CHICKEN RICE TOTAL 12.50 CASH 20.00 CHANGE THANK YOU COME AGAIN';
    function first(): OcrEngine & { calls: number } {
      const e = {
        name: 'fake',
        version: '0',
        calls: 0,
        recognize: async (image: GreyImage): Promise<RecognizedPage> => {
          e.calls += 1;
          return { text: 'TOTAL', confidence: 90, words: [], skewDegrees: 0, width: image.width, height: image.height };
        },
        detectOrientation: async () => null,
      };
      return e;
    }

    it('is read by the second engine alone when it reads plain upright text', async () => {
      const e = first();
      const second = secondEngine(RECEIPT);
      const { result } = await processDocument(PNG, {}, { opener: slip, engine: e, secondEngine: second, concurrency: 1 });
      expect(e.calls).toBe(0);
      expect(second.calls).toBe(1);
      expect(result.pages[0]!.text).toContain('GROCERY MART');
      expect(result.pages[0]!.strategy).toMatchObject({ engine: 'second', reason: 'till slip, read by second alone' });
    });

    it('takes the usual way when that read is poor, without reading it twice with the second engine', async () => {
      const e = first();
      const second = secondEngine('x1 00 000');
      const { result } = await processDocument(PNG, {}, { opener: slip, engine: e, secondEngine: second, concurrency: 1 });
      expect(e.calls).toBeGreaterThan(0);
      expect(second.calls).toBe(1);
      expect(result.pages[0]!.strategy?.reason).not.toContain('alone');
    });

    it('is read by the second engine alone for a searchable PDF too (its invisible text is the result\'s words)', async () => {
      const e = first();
      const second = secondEngine(RECEIPT);
      await processDocument(PNG, { searchablePdf: true }, { opener: slip, engine: e, secondEngine: second, concurrency: 1 });
      expect(e.calls).toBe(0);
      expect(second.calls).toBe(1);
    });
  });

  it('does not ask a second engine that cannot read the languages', async () => {
    const e = unsureUprightPage('Rechnung', '~');
    const second = secondEngine('Rechnung Summe', ['eng']);
    const { result } = await processDocument(PNG, { languages: 'deu' }, { opener: opener([{}]), engine: e, secondEngine: second, concurrency: 1 });
    expect(second.calls).toBe(0);
    expect(result.pages[0]!.strategy?.engine).toBe('fake');
  });
});
