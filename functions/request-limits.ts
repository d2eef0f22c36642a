/**
 * The functions framework parses every request body before a handler runs (body-parser: limit
 * 1024 MB, gzip and deflate inflated), so a 1 MB gzip body becomes about 1 GB in memory before
 * anyone has signed in. The framework has no setting for it: its body parsers are given ours
 * instead — compressed bodies refused (415) and a limit just above Cloud Run's own 32 MiB per
 * request. Imported before anything else by functions/index.ts, ahead of the framework building
 * its server.
 */
import { createRequire } from 'node:module';
import { MAX_HTTP_BODY_BYTES } from '../shared/config.ts';

type Parser = (options?: Record<string, unknown>) => unknown;
type BodyParser = Record<'json' | 'raw' | 'text' | 'urlencoded', Parser> & { docvaultLimits?: true };

// The body-parser the framework itself loads (resolved from the framework's own location).
const fromFramework = createRequire(createRequire(import.meta.url).resolve('@google-cloud/functions-framework'));
const bodyParser = fromFramework('body-parser') as BodyParser;

if (!bodyParser.docvaultLimits) {
  for (const kind of ['json', 'raw', 'text', 'urlencoded'] as const) {
    const original = bodyParser[kind];
    // Above the platform's 32 MiB, so upload's own limit (MAX_REQUEST_BYTES) answers first, with advice.
    bodyParser[kind] = (options = {}) => original({ ...options, inflate: false, limit: MAX_HTTP_BODY_BYTES });
  }
  bodyParser.docvaultLimits = true;
}
