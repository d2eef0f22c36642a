/** A stdout/stderr pair that keeps what a command writes, for CLI tests. */
export function captureIo(): { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((err += s), true) } as unknown as NodeJS.WritableStream,
    out: () => out,
    err: () => err,
  };
}
