/**
 * `language=auto`, its pure half: from the script tesseract's OSD reports for a page to the installed
 * languages to read it with. The engine's hook (not yet wired) asks OSD for the script of the first
 * page, calls `languagesForScript`, and reads the document with the languages it returns.
 */
import { DEFAULT_LANGUAGES } from './options.ts';

/** The word `language` takes for this. */
export const AUTO_LANGUAGE = 'auto';

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
