/**
 * The one way a user's PDF is loaded with pdf-lib (loadPdfDocument): its cross-reference and object streams are
 * inflated under a budget, so a deflate bomb in the file's structure fails DOCUMENT_TOO_COMPLEX instead of taking
 * the process's memory. pdf-lib's own load inflates every stream whose /Type is /XRef or /ObjStm at once and whole
 * (a 522 KB file whose object stream inflates to 512 MB allocated ~1 GB of ArrayBuffers: outside the V8 heap, so a
 * worker thread's resourceLimits do not stop it), and pdfjs inflates an object stream whole as soon as it reads one
 * object from it (bench/RESULTS.md "Deflate bombs in a PDF's structure").
 *
 * The rule, and why it is sound: pdf-lib's own parser walks the file (no second tokeniser that could read it
 * differently); every stream it parses passes through parseObject below, where
 * - a stream pdf-lib would inflate (its /Type, looked up through the objects parsed so far as pdf-lib does, so name
 *   escapes such as `/X#52ef` and an indirect /Type are seen as pdf-lib sees them) is inflated here, by zlib under
 *   what is left of the budget, and handed to pdf-lib already inflated (so pdf-lib never runs its own inflater on it);
 * - a stream pdfjs could read as an object stream (one with /N and /First, whatever its /Type says: pdfjs follows the
 *   cross-reference table, not /Type) is inflated under the same budget once the whole file is parsed and discarded.
 * A structure stream whose filter cannot be decoded under a bound here (an image codec, a crypt filter) is refused;
 * one whose compressed data is damaged past its header is refused as corrupt, since another inflater may read on.
 */
import { constants, inflateRawSync } from 'node:zlib';
import {
  decodePDFRawStream,
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFName,
  ParseSpeeds,
  PDFParser,
  PDFRawStream,
  type LoadOptions,
  type PDFObject,
} from 'pdf-lib';
import { DocVaultError } from '../core/errors.ts';

/**
 * Inflated bytes of a document's cross-reference and object streams, all together. They hold only the file's
 * dictionaries and arrays (a stream cannot be inside an object stream): a 2,000-page file saved with object streams
 * needs 0.5 MB, a 257 KB manual 64 KB, the samples and fixtures at most 16 KB. 64 MB is far past any real structure
 * (and a 500-page limit), and pdf-lib's parse of it costs seconds, not gigabytes.
 */
export const MAX_STRUCTURE_BYTES = 64 * 1024 * 1024;

export interface GuardedLoadOptions extends Pick<LoadOptions, 'ignoreEncryption' | 'updateMetadata' | 'throwOnInvalidObject' | 'parseSpeed'> {
  maxStructureBytes?: number;
}

/** PDFDocument.load behind the structure budget: the only pdf-lib load of a user's bytes. */
export async function loadPdfDocument(bytes: Uint8Array, options: GuardedLoadOptions = {}): Promise<PDFDocument> {
  const parser = new BudgetedParser(bytes, options);
  const context = await parser.parseDocument();
  parser.checkPdfjsObjectStreams();
  // PDFDocument.load is this parse and this constructor (private in its types only).
  const Document = PDFDocument as unknown as new (context: unknown, ignoreEncryption: boolean, updateMetadata: boolean) => PDFDocument;
  return new Document(context, options.ignoreEncryption ?? false, options.updateMetadata ?? true);
}

const TYPE = PDFName.of('Type');
const FILTER = PDFName.of('Filter');
const DECODE_PARMS = PDFName.of('DecodeParms');
const PDF_LIB_INFLATES = new Set([PDFName.of('XRef'), PDFName.of('ObjStm')]);
/** pdfjs's names for the filters decoded here, abbreviations included (pdf-lib knows the long ones only). */
const FILTERS = new Map<string, 'flate' | 'LZWDecode' | 'ASCII85Decode' | 'ASCIIHexDecode' | 'RunLengthDecode'>([
  ['FlateDecode', 'flate'],
  ['Fl', 'flate'],
  ['LZWDecode', 'LZWDecode'],
  ['LZW', 'LZWDecode'],
  ['ASCII85Decode', 'ASCII85Decode'],
  ['A85', 'ASCII85Decode'],
  ['ASCIIHexDecode', 'ASCIIHexDecode'],
  ['AHx', 'ASCIIHexDecode'],
  ['RunLengthDecode', 'RunLengthDecode'],
  ['RL', 'RunLengthDecode'],
]);
/** pdf-lib's other decoders give their output a block at a time: read in steps of this much, never all at once. */
const READ_STEP = 64 * 1024;

class BudgetedParser extends PDFParser {
  private left: number;
  private readonly limit: number;
  private readonly end: number;
  private refusal: DocVaultError | undefined;
  private readonly streams: PDFRawStream[] = [];
  private readonly inflated = new Set<PDFRawStream>();

  constructor(bytes: Uint8Array, options: GuardedLoadOptions) {
    super(bytes, options.parseSpeed ?? ParseSpeeds.Slow, options.throwOnInvalidObject ?? false);
    this.limit = options.maxStructureBytes ?? MAX_STRUCTURE_BYTES;
    this.left = this.limit;
    this.end = bytes.length;
  }

  override async parseDocument(): ReturnType<PDFParser['parseDocument']> {
    let context: Awaited<ReturnType<PDFParser['parseDocument']>>;
    try {
      context = await super.parseDocument();
    } catch (err) {
      throw this.refusal ?? err;
    }
    if (this.refusal) throw this.refusal;
    return context;
  }

  override parseObject(): PDFObject {
    const object = super.parseObject();
    if (!(object instanceof PDFRawStream)) return object;
    if (this.refusal) return this.stop();
    this.streams.push(object);
    if (!PDF_LIB_INFLATES.has(object.dict.lookup(TYPE) as PDFName)) return object;
    try {
      return this.decoded(object);
    } catch (err) {
      if (!(err instanceof DocVaultError)) throw err; // as pdf-lib's own inflater would: the object is invalid
      // pdf-lib takes any error here for a malformed object and parses on: stop at once, and throw after the parse.
      this.refusal = err;
      return this.stop();
    }
  }

  /** After a refusal: no stream reaches pdf-lib, and its parse is sent to the end of the file. */
  private stop(): PDFDict {
    this.bytes.moveTo(this.end);
    return PDFDict.withContext(this.context);
  }

  /** Streams pdfjs could take for object streams that pdf-lib did not inflate: inflated under what is left. */
  checkPdfjsObjectStreams(): void {
    for (const stream of this.streams) {
      if (this.inflated.has(stream) || !mayBeObjectStream(stream.dict)) continue;
      try {
        inflateChain(stream, this.budget());
      } catch (err) {
        if (err instanceof DocVaultError) throw err;
        // A header or /Filter no reader decodes: pdfjs does not inflate it either.
      }
    }
  }

  /** The stream inflated under the budget, as a stream with no filter left for pdf-lib to run. */
  private decoded(stream: PDFRawStream): PDFRawStream {
    this.inflated.add(stream);
    const contents = inflateChain(stream, this.budget());
    const dict = stream.dict.clone(this.context);
    dict.delete(FILTER);
    dict.delete(DECODE_PARMS);
    return PDFRawStream.of(dict, contents);
  }

  private budget(): Budget {
    return {
      take: (bytes: number) => {
        this.left -= bytes;
        if (this.left < 0) throw tooLarge(this.limit);
      },
      left: () => this.left,
    };
  }
}

interface Budget {
  take(bytes: number): void;
  left(): number;
}

function tooLarge(limit: number): DocVaultError {
  return new DocVaultError(
    'DOCUMENT_TOO_COMPLEX',
    `The PDF's cross-reference and object streams inflate to more than ${Math.round(limit / 1024 / 1024)} MB; no real document's structure is that large, so it is not read.`,
    { limitBytes: limit },
  );
}

/** /N and /First, their names' `#xx` escapes read as pdfjs reads them (either case; pdf-lib decodes upper case only). */
function mayBeObjectStream(dict: PDFDict): boolean {
  const keys = new Set(dict.keys().map(looseName));
  return keys.has('N') && keys.has('First');
}

function looseName(name: PDFName): string {
  return name.decodeText().replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The stream's filters in order, with their parameters, as decodePDFRawStream reads them (indirect ones resolved). */
function filtersOf(dict: PDFDict): Array<{ name: string; parms: PDFObject | undefined }> {
  const filter = dict.lookup(FILTER);
  const parms = dict.lookup(DECODE_PARMS);
  const list = filter instanceof PDFArray ? filter.asArray().map((f) => dict.context.lookup(f)) : filter ? [filter] : [];
  return list.map((f, i) => {
    if (!(f instanceof PDFName)) throw new Error('a structure stream whose /Filter is not a name'); // pdf-lib refuses it too
    return { name: looseName(f), parms: parms instanceof PDFArray ? dict.context.lookup(parms.get(i)) : parms };
  });
}

/** The stream's data through its filters, each stage's output counted against the budget. */
function inflateChain(stream: PDFRawStream, budget: Budget): Uint8Array {
  let data: Uint8Array = stream.contents;
  for (const { name, parms } of filtersOf(stream.dict)) {
    const kind = FILTERS.get(name);
    if (!kind) {
      throw new DocVaultError('DOCUMENT_TOO_COMPLEX', `The PDF compresses a cross-reference or object stream with /${name}, which is not read.`, { filter: name });
    }
    data = kind === 'flate' ? inflate(data, budget) : decodeWithPdfLib(stream.dict, kind, parms, data, budget);
  }
  return data;
}

/** A zlib stream as pdf-lib and pdfjs read it: the two-byte header checked, the adler32 at the end ignored. */
function inflate(data: Uint8Array, budget: Budget): Uint8Array {
  const cmf = data[0];
  const flg = data[1];
  if (cmf === undefined || flg === undefined || (cmf & 0x0f) !== 8 || ((cmf << 8) + flg) % 31 !== 0 || flg & 0x20) {
    throw new Error('a structure stream with a bad zlib header'); // neither reader inflates it
  }
  try {
    const out = inflateRawSync(data.subarray(2), { maxOutputLength: Math.max(1, budget.left() + 1), finishFlush: constants.Z_SYNC_FLUSH });
    budget.take(out.length);
    return out;
  } catch (err) {
    if (err instanceof DocVaultError) throw err;
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      budget.take(budget.left() + 1);
    }
    throw new DocVaultError('CORRUPT_DOCUMENT', `A cross-reference or object stream of the PDF is damaged: ${(err as Error).message}.`);
  }
}

/** LZW, ASCII85, ASCIIHex or RunLength by pdf-lib's decoder (a block of output at a time), read a step at a time. */
function decodeWithPdfLib(dict: PDFDict, filter: string, parms: PDFObject | undefined, data: Uint8Array, budget: Budget): Uint8Array {
  const one = dict.context.obj({ Filter: filter });
  if (parms instanceof PDFDict) one.set(DECODE_PARMS, parms);
  const decoder = decodePDFRawStream(PDFRawStream.of(one, data));
  const chunks: Uint8Array[] = [];
  for (;;) {
    const chunk = decoder.getBytes(READ_STEP);
    if (chunk.length === 0) break;
    budget.take(chunk.length);
    chunks.push(new Uint8Array(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * loadPdfDocument for a caller with another way to read the document: null when pdf-lib cannot read it (malformed,
 * or encrypted unless `ignoreEncryption`); the guard's refusal (DOCUMENT_TOO_COMPLEX, a damaged structure stream)
 * is thrown, since every other reader of the file would meet the same bomb.
 */
export async function loadPdfDocumentOrNull(bytes: Uint8Array, options: GuardedLoadOptions = {}): Promise<PDFDocument | null> {
  try {
    return await loadPdfDocument(bytes, options);
  } catch (err) {
    if (err instanceof DocVaultError) throw err;
    return null;
  }
}
