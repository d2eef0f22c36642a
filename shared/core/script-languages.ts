/**
 * `language=auto`: from the script tesseract's OSD reports for the first page read to the installed
 * languages to read the document with. The pipeline calls `autoLanguages` before it reads any page.
 */
import { DEFAULT_LANGUAGES } from './options.ts';
import type { DocumentSource, OcrEngine } from './ports.ts';


/** Below this OSD script confidence the script is not trusted: the default languages are used. */
export const MIN_SCRIPT_CONFIDENCE = 1;

/** At most this many languages for one script: each one loaded slows tesseract down. */
export const MAX_AUTO_LANGUAGES = 3;

/** OSD's script names → tesseract languages written in that script, the most used first. */
export const SCRIPT_LANGUAGES: Readonly<Record<string, readonly string[]>> = {
  Latin: ['eng', 'spa', 'fra', 'deu', 'por', 'ita', 'nld', 'pol', 'tur', 'vie', 'ind', 'swe', 'ces', 'ron', 'hun'],
  Cyrillic: ['rus', 'ukr', 'bul', 'srp', 'bel', 'mkd', 'kaz'],
  Arabic: ['ara', 'fas', 'urd', 'pus'],
  Han: ['chi_sim', 'chi_tra', 'jpn'],
  Japanese: ['jpn'],
  Katakana: ['jpn'],
  Hiragana: ['jpn'],
  Hangul: ['kor'],
  Greek: ['ell', 'grc'],
  Hebrew: ['heb', 'yid'],
  Devanagari: ['hin', 'mar', 'nep', 'san'],
  Bengali: ['ben', 'asm'],
  Thai: ['tha'],
  Tamil: ['tam'],
  Telugu: ['tel'],
  Kannada: ['kan'],
  Malayalam: ['mal'],
  Gujarati: ['guj'],
  Gurmukhi: ['pan'],
  Georgian: ['kat'],
  Armenian: ['hye'],
  Ethiopic: ['amh', 'tir'],
  Khmer: ['khm'],
  Lao: ['lao'],
  Myanmar: ['mya'],
  Sinhala: ['sin'],
  Tibetan: ['bod'],
};

export interface ScriptGuess {
  /** OSD's script name, e.g. "Latin", "Cyrillic", "Han". */
  script: string | null;
  confidence: number | null;
}

export interface AutoLanguages {
  languages: string[];
  /** Why these: recorded with the page's strategy. */
  reason: string;
}

/**
 * The installed languages for the guessed script, in the order of SCRIPT_LANGUAGES, at most
 * MAX_AUTO_LANGUAGES; the default languages (or the first installed) when the script is unsure,
 * unknown or has no installed language.
 */
export function languagesForScript(guess: ScriptGuess | null, installed: readonly string[]): AutoLanguages {
  const have = new Set(installed);
  const fallback = (why: string): AutoLanguages => {
    const defaults = DEFAULT_LANGUAGES.filter((l) => have.has(l));
    const languages = defaults.length ? defaults : installed.filter((l) => l !== 'osd').slice(0, 1);
    return { languages, reason: `${why}: ${languages.join('+') || 'none installed'}` };
  };
  if (!guess?.script || guess.confidence === null || guess.confidence < MIN_SCRIPT_CONFIDENCE) return fallback('script unsure');
  const candidates = SCRIPT_LANGUAGES[guess.script];
  if (!candidates) return fallback(`script ${guess.script} not known`);
  const languages = candidates.filter((l) => have.has(l)).slice(0, MAX_AUTO_LANGUAGES);
  if (languages.length === 0) return fallback(`no installed language for ${guess.script}`);
  return { languages, reason: `script ${guess.script}` };
}

/** What auto needs: the engine's OSD (its script guess) and the languages the models on hand read. */
export interface AutoLanguageDeps {
  engine: Pick<OcrEngine, 'detectOrientation'>;
  installedLanguages?: () => Promise<readonly string[]>;
}

/** The languages for a document read with `auto`: the script of its first page to read (`firstIndex`, 0-based), by OSD. */
export async function autoLanguages(source: DocumentSource, firstIndex: number, deps: AutoLanguageDeps, signal?: AbortSignal): Promise<AutoLanguages> {
  const installed = (await deps.installedLanguages?.()) ?? [];
  const page = await source.page(firstIndex, signal);
  const guess = await deps.engine.detectOrientation(await page.render(signal), signal);
  const chosen = languagesForScript(guess && { script: guess.script ?? null, confidence: guess.scriptConfidence ?? null }, installed);
  return chosen.languages.length > 0 ? chosen : { languages: [...DEFAULT_LANGUAGES], reason: `${chosen.reason}; the default` };
}
