/**
 * The content index in Firestore (core/result-reuse.ts): two documents per finished result, the
 * user's own (`{key}_{userHash}`) and the latest of any user (`{key}`), read and written side by
 * side (either alone is a valid entry). The entries hold no document text; they point at result objects that may be gone by the
 * time they are read, so every reuse checks the objects first.
 */
import type { Firestore } from '@google-cloud/firestore';
import { ContentIndexEntry, type ContentIndex } from '../core/result-reuse.ts';
import { COLLECTIONS } from '../names.ts';
import { plainFromStore } from './firestore-tasks.ts';

export class FirestoreContentIndex implements ContentIndex {
  private readonly db: Pick<Firestore, 'collection'>;

  constructor(db: Pick<Firestore, 'collection'>) {
    this.db = db;
  }

  private doc(id: string) {
    return this.db.collection(COLLECTIONS.contentIndex).doc(id);
  }

  async find(key: string, userHash: string): Promise<{ own: ContentIndexEntry | null; latest: ContentIndexEntry | null }> {
    const [own, latest] = await Promise.all([this.doc(`${key}_${userHash}`).get(), this.doc(key).get()]);
    const read = (snap: typeof own) => {
      if (!snap.exists) return null;
      // An entry of an older shape is no entry: it is rewritten by the next completion.
      const parsed = ContentIndexEntry.safeParse(plainFromStore(snap.data()!));
      return parsed.success ? parsed.data : null;
    };
    return { own: read(own), latest: read(latest) };
  }

  async record(entry: ContentIndexEntry): Promise<void> {
    const valid = ContentIndexEntry.parse(entry);
    await Promise.all([this.doc(`${valid.key}_${valid.userHash}`).set(valid), this.doc(valid.key).set(valid)]);
  }

  async forgetTask(taskId: string): Promise<number> {
    const snap = await this.db.collection(COLLECTIONS.contentIndex).where('taskId', '==', taskId).select().get();
    await Promise.all(snap.docs.map((d) => d.ref.delete()));
    return snap.size;
  }
}
