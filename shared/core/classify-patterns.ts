/**
 * The classifier's regular expressions, made cheap to compile without changing what they match.
 *
 * The cues are declared with Unicode letter and digit classes (`\p{L}`, `\p{N}`), mostly as word boundaries. Those
 * classes hold hundreds of ranges, and with the case-insensitive flag V8 builds each pattern's copy of them, then
 * compiles it twice (bytecode at the first use, native code at the second): the first two classifications of a new
 * process cost 135–200 ms of CPU for the classifier's ~150 patterns, against 33–47 ms with these (load ~10).
 *
 * Here each pattern is compiled with small classes instead, and the text is read through a stand-in: every letter or
 * digit that no pattern spells (`я`, `٣`, `𝐀`) becomes one stand-in letter or digit, which is a letter or a digit to the
 * small classes and matches nothing else. A character any pattern spells (any ASCII letter or digit, `é`, `ß`, `’`, and
 * whatever the case-insensitive flag pairs with them: `É`, `ẞ`, `ſ`, `K`) is left as it is. So every character is a
 * letter, a digit or neither to the small classes exactly when it was to `\p{L}` and `\p{N}`, and matches the same
 * literals: the counts are the same (test/shared/core/classify-patterns.test.ts checks every code point and the counts).
 */

/** A letter with no case that no pattern spells (U+01C2). */
const LETTER_STAND_IN = 'ǂ';
/** A digit (`\p{N}`, not `\d`) with no case that no pattern spells (U+00B9). */
const DIGIT_STAND_IN = '¹';

/** How many characters' stand-ins are remembered (a page rarely has more than a few hundred distinct ones). */
const MAX_REMEMBERED = 4096;

export interface SmallPatterns {
  /** The patterns, in the order of the sources. */
  patterns: RegExp[];
  /** The text as the patterns must read it (code points may change, never the count of matches). */
  prepare(text: string): string;
  /** The classes standing for `\p{L}` and `\p{N}` (inside brackets), for tests. */
  classes: { letters: string; digits: string };
}

/** Compiles case-insensitive sources whose only Unicode properties are `\p{L}` and `\p{N}`. */
export function smallPatterns(sources: ReadonlyArray<{ source: string; flags: string }>): SmallPatterns {
  const spelled = new Set<string>();
  for (const { source, flags } of sources) {
    // Escapes that spell a character without writing it, and other properties, would escape the reasoning above.
    if (!flags.includes('i') || !flags.includes('u') || /\\[ucxP]|\\p\{(?![LN]\})/u.test(source)) {
      throw new Error(`A classifier pattern this module cannot keep exact: /${source}/${flags}`);
    }
    for (const ch of source) if (ch > '\x7f') spelled.add(ch);
  }
  // With the case-insensitive flag the classes take in each member's case partners: `\u0345` (a combining mark) is a
  // letter to /\p{L}/iu, as the partner of ι. Membership is tested the way the patterns test it.
  const isLetter = /^\p{L}$/iu;
  const isDigit = /^\p{N}$/iu;
  const code = (chars: Iterable<string>) => [...chars].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join('');
  const classes = {
    letters: `A-Za-z${code([...spelled].filter((c) => isLetter.test(c)))}${code(LETTER_STAND_IN)}`,
    digits: `0-9${code([...spelled].filter((c) => isDigit.test(c)))}${code(DIGIT_STAND_IN)}`,
  };
  const kept = new RegExp(`^[A-Za-z0-9${code(spelled)}]$`, 'iu');
  if (kept.test(LETTER_STAND_IN) || kept.test(DIGIT_STAND_IN)) throw new Error('A classifier pattern spells a stand-in character.');

  const standIns = new Map<string, string>();
  const standIn = (c: string): string => {
    let s = standIns.get(c);
    if (s === undefined) {
      s = kept.test(c) ? c : isLetter.test(c) ? LETTER_STAND_IN : isDigit.test(c) ? DIGIT_STAND_IN : c;
      if (standIns.size >= MAX_REMEMBERED) standIns.clear(); // a text of every code point must not keep them all
      standIns.set(c, s);
    }
    return s;
  };
  return {
    patterns: sources.map(({ source, flags }) => new RegExp(withClasses(source, classes), flags)),
    prepare: (text) => text.replace(/[^\0-\x7f]/gu, standIn),
    classes,
  };
}

/** The source with each `\p{L}` and `\p{N}` replaced by the small class (its ranges alone inside brackets). */
function withClasses(source: string, classes: { letters: string; digits: string }): string {
  let out = '';
  let inBrackets = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') {
      const property = /^\\p\{([LN])\}/u.exec(source.slice(i, i + 5));
      if (property) {
        const ranges = property[1] === 'L' ? classes.letters : classes.digits;
        out += inBrackets ? ranges : `[${ranges}]`;
        i += 4;
      } else {
        out += source.slice(i, i + 2);
        i += 1;
      }
      continue;
    }
    if (ch === '[') inBrackets = true;
    else if (ch === ']') inBrackets = false;
    out += ch;
  }
  return out;
}
