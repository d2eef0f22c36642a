/**
 * Which engines and models read a document in given languages, as one string for the result key
 * (core/result-reuse.ts): a new engine release or another traineddata file makes a new key, so a
 * result read by older models is not reused.
 */
import type { Ocr } from './index.ts';
import { sha256File } from './model-store.ts';

/** A model file's digest, once per path and process (a traineddata file is a few MB). */
const digests = new Map<string, Promise<string>>();

function digestOf(path: string): Promise<string> {
  let digest = digests.get(path);
  if (!digest) {
    digest = sha256File(path);
    digests.set(path, digest);
    digest.catch(() => digests.delete(path));
  }
  return digest;
}

export async function readerIdentity(ocr: Pick<Ocr, 'engine' | 'secondEngine' | 'models'>, languages: readonly string[]): Promise<string> {
  const models = await Promise.all(languages.map(async (lang) => `${lang}:${await digestOf((await ocr.models.file(lang)).path)}`));
  const engines = [ocr.engine, ...(ocr.secondEngine ? [ocr.secondEngine] : [])].map((e) => `${e.name}@${e.version}`);
  return [...engines, ...models].join(' ');
}
