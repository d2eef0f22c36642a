/** language=auto: from OSD's script to the installed languages that read it. */
import { describe, expect, it } from 'vitest';
import { Languages } from '../../../shared/core/options.ts';
import type { DocumentSource, GreyImage, OrientationGuess } from '../../../shared/core/ports.ts';
import { autoLanguages, languagesForScript, MAX_AUTO_LANGUAGES } from '../../../shared/core/script-languages.ts';

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

describe('language=auto', () => {
  it('is a language choice only on its own', () => {
    expect(Languages.parse('auto')).toEqual(['auto']);
    expect(Languages.safeParse('eng+auto').success).toBe(false);
    expect(Languages.safeParse(['auto', 'deu']).success).toBe(false);
  });

  /** A document whose pages OSD sees in `scripts` (by page index), with the pages asked for recorded. */
  function documentIn(scripts: Array<string | null>) {
    const asked: number[] = [];
    const image = (index: number) => ({ width: 1, height: 1, dpi: 300, data: new Uint8Array([index]) }) as unknown as GreyImage;
    const source = {
      type: 'pdf',
      pageCount: scripts.length,
      page: async (index: number) => {
        asked.push(index);
        return { number: index + 1, textLayer: async () => null, render: async () => image(index), displayImage: async () => { throw new Error('not used'); } };
      },
      close: async () => undefined,
    } as unknown as DocumentSource;
    const engine = {
      detectOrientation: async (img: GreyImage): Promise<OrientationGuess | null> => {
        const script = scripts[img.data[0]!];
        return script === null ? null : { degrees: 0, confidence: 5, script, scriptConfidence: 4 };
      },
    };
    return { source, engine, asked };
  }

  it('reads the script of the first page to read (a shard\'s first page), and picks the installed languages for it', async () => {
    const doc = documentIn(['Latin', 'Cyrillic']);
    const installedLanguages = async () => ['eng', 'rus', 'deu', 'osd'];
    expect(await autoLanguages(doc.source, 0, { engine: doc.engine, installedLanguages })).toEqual({ languages: ['eng', 'deu'], reason: 'script Latin' });
    expect(await autoLanguages(doc.source, 1, { engine: doc.engine, installedLanguages })).toEqual({ languages: ['rus'], reason: 'script Cyrillic' });
    expect(doc.asked).toEqual([0, 1]);
  });

  it('falls back to the default languages when OSD sees nothing or nothing is listed as installed', async () => {
    const blank = documentIn([null]);
    expect((await autoLanguages(blank.source, 0, { engine: blank.engine, installedLanguages: async () => ['eng', 'osd'] })).languages).toEqual(['eng']);
    const latin = documentIn(['Latin']);
    expect((await autoLanguages(latin.source, 0, { engine: latin.engine })).languages).toEqual(['eng']);
  });
});
