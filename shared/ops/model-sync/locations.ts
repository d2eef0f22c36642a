/** Where a model folder lives: a local folder or `gs://bucket/prefix`, parsed once from what the user typed. */
import { resolve, sep } from 'node:path';
import { z } from 'zod';
import { DocVaultError } from '../../core/errors.ts';
export type Location =
  | { kind: 'local'; dir: string; url: string }
  | { kind: 'gcs'; bucket: string; prefix: string; url: string };

export type LocalLocation = Extract<Location, { kind: 'local' }>;
export type GcsLocation = Extract<Location, { kind: 'gcs' }>;

const GS_URL = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:\/(.*))?$/;

/** A local folder or `gs://bucket[/prefix]`; the prefix is normalised to end with `/` (or be empty). */
export const LocationArg = z
  .string()
  .trim()
  .min(1, 'give a local folder or gs://bucket/prefix')
  .transform((value, ctx): Location => {
    if (!value.startsWith('gs://')) {
      const dir = resolve(value);
      return { kind: 'local', dir, url: dir };
    }
    const m = GS_URL.exec(value);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `${value} is not gs://BUCKET/PREFIX (bucket names are 3-222 characters: a-z, 0-9, ".", "-", "_")` });
      return z.NEVER;
    }
    const bucket = m[1] as string;
    const rest = (m[2] ?? '').replace(/^\/+/, '');
    if (rest.split('/').some((segment) => segment === '.' || segment === '..')) {
      ctx.addIssue({ code: 'custom', message: `${value}: "." and ".." are not allowed in an object prefix` });
      return z.NEVER;
    }
    const prefix = rest === '' || rest.endsWith('/') ? rest : `${rest}/`;
    return { kind: 'gcs', bucket, prefix, url: `gs://${bucket}/${prefix}` };
  });

export function parseLocation(value: string): Location {
  const parsed = LocationArg.safeParse(value);
  if (!parsed.success) {
    throw new DocVaultError('INVALID_ARGUMENT', parsed.error.issues.map((i) => i.message).join('; '), { problem: 'INVALID_LOCATION', path: value });
  }
  return parsed.data;
}

/** Whether one location holds the other (a sync between them would copy into itself). */
export function overlaps(a: Location, b: Location): boolean {
  if (a.kind === 'local' && b.kind === 'local') {
    const [x, y] = [a.dir + sep, b.dir + sep];
    return x.startsWith(y) || y.startsWith(x);
  }
  if (a.kind === 'gcs' && b.kind === 'gcs') return a.bucket === b.bucket && (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix));
  return false;
}
