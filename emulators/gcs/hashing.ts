import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32c } from '@node-rs/crc32';

/** Running CRC32C + MD5 + byte count over an object's content, kept across resumable chunks. */
export class ContentHasher {
  size = 0;
  #crc = 0;
  #md5: Hash = createHash('md5');

  update(chunk: Buffer): void {
    this.#crc = crc32c(chunk, this.#crc);
    this.#md5.update(chunk);
    this.size += chunk.length;
  }

  /** Base64 of the big-endian CRC32C, as the JSON API's `crc32c` field and `x-goog-hash` carry it. */
  crc32c(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.#crc >>> 0);
    return out.toString('base64');
  }

  md5(): string {
    return this.#md5.copy().digest('base64');
  }

  /**
   * A pass-through stream that hashes what flows through it, dropping the first `skip` bytes
   * (a resumable chunk that repeats bytes the session already has).
   */
  stream(skip = 0): Transform {
    let toSkip = skip;
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        let data = chunk;
        if (toSkip > 0) {
          const n = Math.min(toSkip, data.length);
          toSkip -= n;
          data = data.subarray(n);
          if (data.length === 0) return done();
        }
        this.update(data);
        done(null, data);
      },
    });
  }
}

export function hashBuffer(data: Buffer): { crc32c: string; md5Hash: string } {
  const h = new ContentHasher();
  h.update(data);
  return { crc32c: h.crc32c(), md5Hash: h.md5() };
}
