#!/usr/bin/env bash
# Builds the OCR workers' container image from infra/build/source (package-source.sh) with Google
# Cloud's buildpacks, the same builder Cloud Run functions use, and pushes it to the project's
# Artifact Registry repository (Terraform's google_artifact_registry_repository.images).
# Prints the image; pass it to Terraform as worker_image.
#
#   infra/build-worker-image.sh PROJECT REGION
set -euo pipefail
project="${1:?usage: build-worker-image.sh PROJECT REGION}"
region="${2:?usage: build-worker-image.sh PROJECT REGION}"
src="$(cd "$(dirname "$0")" && pwd)/build/source"
[[ -f "$src/package.json" ]] || { echo "run infra/package-source.sh first" >&2; exit 1; }

# Tagged by content: the same source gives the same tag, so a plan without changes stays empty.
tag="$(cd "$src" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
image="${region}-docker.pkg.dev/${project}/docvault/functions:${tag}"

if ! gcloud artifacts docker images describe "$image" --project "$project" >/dev/null 2>&1; then
  gcloud builds submit "$src" --project "$project" --region "$region" \
    --pack "image=${image},env=GOOGLE_FUNCTION_TARGET=ocr-worker" >&2
fi
echo "$image"
