/** The project's version, from its package.json (one level up in the source tree, two in a build). */
import { createRequire } from 'node:module';

function projectVersion(): string {
  const require = createRequire(import.meta.url);
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string };
      if (pkg.name === 'docvault-ocr' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

export const VERSION = projectVersion();
