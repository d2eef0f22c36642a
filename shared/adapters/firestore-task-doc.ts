/** A task document as Firestore stores it, read back into the task schema. */
import { Timestamp, type DocumentData } from '@google-cloud/firestore';
import { Task } from '../core/task.ts';

/** Firestore gives Timestamps back; the schemas speak Dates. */
export function plainFromStore(data: DocumentData): unknown {
  return JSON.parse(JSON.stringify(data, (_k, v) => (v instanceof Timestamp ? { __ts: v.toMillis() } : v)), (_k, v) =>
    v && typeof v === 'object' && '__ts' in v ? new Date(v.__ts as number) : v,
  );
}

export function fromStore(data: DocumentData): Task {
  return Task.parse(plainFromStore(data));
}
