/**
 * OCR confusions, undone where the context says which reading is meant: in a token made of digits
 * (an amount, a date) "O" is 0, "l" or "I" is 1, "S" is 5; in a word made of letters "0" is O, "1"
 * is I, "5" is S. Both keep the text's length, so offsets still point at the same words.
 */

const TO_DIGIT: Readonly<Record<string, string>> = { O: '0', o: '0', D: '0', I: '1', l: '1', '|': '1', S: '5', s: '5', B: '8', Z: '2' };
const TO_LETTER: Readonly<Record<string, string>> = { '0': 'O', '1': 'I', '5': 'S', '8': 'B', '6': 'G', '2': 'Z', '|': 'I' };
/** A currency written before the number ("RM5O.00", "$1O.5O") is not part of the digits. */
const PREFIX = /^(?:[A-Z]{1,3}\$|RM|[$€£¥])/u;

function fixToken(token: string): string {
  const prefix = PREFIX.exec(token)?.[0] ?? '';
  const body = token.slice(prefix.length);
  const digits = (body.match(/\d/g) ?? []).length;
  const confusable = [...body].filter((c) => TO_DIGIT[c] !== undefined).length;
  // Digits, separators and a minority of look-alikes: "5O.0O", "O6/03/2018"; never "NO.12" or "SDN".
  if (digits === 0 || confusable > digits || !/^[\dOoDIl|SsBZ.,:/-]+$/u.test(body)) return token;
  return prefix + [...body].map((c) => TO_DIGIT[c] ?? c).join('');
}

/** The text with look-alike letters inside numbers read as digits. */
export function digitsRead(text: string): string {
  return text.replace(/\S+/gu, fixToken);
}

/**
 * The text with look-alike digits inside words read as letters ("CA5H" → "CASH", "INV0ICE" →
 * "INVOICE"), same length. A word is a run of letters and digits with at least two letters and no
 * more digits than letters: codes and numbers ("A4", "03-1234", "2X") stay as they are.
 */
export function lettersRead(text: string): string {
  return text.replace(/[\p{L}\d]{2,}/gu, (t) => {
    const letters = (t.match(/\p{L}/gu) ?? []).length;
    return letters >= 2 && letters >= t.length - letters && letters < t.length ? [...t].map((c) => TO_LETTER[c] ?? c).join('') : t;
  });
}

/** A currency code glued to the end of a word by an engine that dropped the space ("TOTALRM"). */
const GLUED_CURRENCY = /(?<=\p{L}{3})(?:RM|MYR|USD|EUR|GBP|SGD|CHF|AUD|CAD)$/u;

/**
 * Upper-case words with look-alike digits inside words read as letters ("T0TAL" → "TOTAL"). A
 * number glued to a word ("TOTAL54.50", "TOTALRM54.50") is split off it first: one digit inside
 * letters is a look-alike, two or more are a number.
 */
export function wordsRead(text: string): string[] {
  return text
    .toUpperCase()
    .replace(/(?<=\p{L})(?=\d{2})|(?<=\d{2})(?=\p{L})/gu, ' ')
    .split(/[^\p{L}\p{N}|]+/u)
    .flatMap((t) => {
      const code = GLUED_CURRENCY.exec(t);
      return code ? [t.slice(0, code.index), code[0]] : [t];
    })
    .filter((t) => t !== '')
    .map((t) => {
      const letters = (t.match(/\p{L}/gu) ?? []).length;
      return letters >= 2 && letters >= t.length - letters ? [...t].map((c) => TO_LETTER[c] ?? c).join('') : t;
    })
    .map((t) => t.replace(/[^\p{L}]/gu, ''))
    .filter((t) => t !== '');
}
