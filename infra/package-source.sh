#!/usr/bin/env bash
# Stages what the functions run into infra/build/source: the compiled dist/ (npm run build), the
# lock file and package.json with "main" set to the registered functions (dist/functions/index.js)
# and without scripts, so the platform's build only installs the production dependencies
# (npm ci, devDependencies omitted). Terraform zips this folder for upload, api and dispatch;
# build-worker-image.sh builds the OCR workers' image from the same folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/infra/build/source"

if [[ ! -f "$root/dist/functions/index.js" ]]; then
  echo "dist/functions/index.js is missing: run 'npm run build' first" >&2
  exit 1
fi

rm -rf "$out"
mkdir -p "$out"
cp -R "$root/dist" "$out/dist"
cp "$root/package-lock.json" "$out/"
node -e '
  const fs = require("node:fs");
  const pkg = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  pkg.main = "dist/functions/index.js";
  delete pkg.scripts;
  delete pkg.bin;
  fs.writeFileSync(process.argv[2], JSON.stringify(pkg, null, 2) + "\n");
' "$root/package.json" "$out/package.json"

echo "staged $(find "$out" -type f | wc -l) files in ${out#"$root"/}"
