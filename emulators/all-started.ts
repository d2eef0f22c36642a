/** Starting several processes at once without leaving any behind when one of them fails. */

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Waits for every start, keeping each one that succeeded in `running` so that it is stopped too
 * when another failed (with Promise.all a process still starting when its neighbour failed would be
 * left running); then rethrows the first failure.
 */
export async function allStarted<T extends ReadonlyArray<Promise<Stoppable>>>(running: Stoppable[], starts: [...T]): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(starts);
  for (const s of settled) if (s.status === 'fulfilled') running.push(s.value);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<Stoppable>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}
