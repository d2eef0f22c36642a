/** language=auto: from OSD's script to the installed languages that read it. */
import { describe, expect, it } from 'vitest';
import { languagesForScript, MAX_AUTO_LANGUAGES } from '../../../shared/core/script-languages.ts';

const installed = ['eng', 'deu', 'fra', 'rus', 'chi_sim', 'osd'];

describe('languagesForScript', () => {
  it.each([
    [{ script: 'Latin', confidence: 5 }, ['eng', 'fra', 'deu'], 'script Latin'],
    [{ script: 'Cyrillic', confidence: 3 }, ['rus'], 'script Cyrillic'],
    [{ script: 'Han', confidence: 2 }, ['chi_sim'], 'script Han'],
    [{ script: 'Arabic', confidence: 9 }, ['eng'], 'no installed language for Arabic: eng'],
    [{ script: 'Latin', confidence: 0.2 }, ['eng'], 'script unsure: eng'],
    [{ script: 'Klingon', confidence: 9 }, ['eng'], 'script Klingon not known: eng'],
    [null, ['eng'], 'script unsure: eng'],
  ])('%j → %j', (guess, languages, reason) => {
    expect(languagesForScript(guess, installed)).toEqual({ languages, reason });
  });
  it(`never more than ${MAX_AUTO_LANGUAGES} languages; without the default language, the first installed one (never osd)`, () => {
    expect(languagesForScript({ script: 'Latin', confidence: 5 }, ['ita', 'spa', 'por', 'nld', 'pol']).languages).toEqual(['spa', 'por', 'ita']);
    expect(languagesForScript(null, ['osd', 'rus'])).toEqual({ languages: ['rus'], reason: 'script unsure: rus' });
  });
});
