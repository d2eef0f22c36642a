#!/usr/bin/env bash
# Checks that the local emulator suite can start, and says exactly what to install when it cannot.
set -uo pipefail
missing=0
say() { printf '%s\n' "$*" >&2; }

if ! command -v gcloud >/dev/null 2>&1; then
  say "missing: gcloud (Google Cloud CLI). Install it with the Pub/Sub and Firestore emulator components:"
  say "  https://cloud.google.com/sdk/docs/install, then: gcloud components install pubsub-emulator cloud-firestore-emulator beta"
  missing=1
else
  root=$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null)
  [ -d "$root/platform/pubsub-emulator" ] || { say "missing: the Pub/Sub emulator (gcloud components install pubsub-emulator, or the google-cloud-cli-pubsub-emulator package)"; missing=1; }
  [ -d "$root/platform/cloud-firestore-emulator" ] || ls "$root"/platform/cloud-firestore-emulator* >/dev/null 2>&1 || { say "missing: the Firestore emulator (gcloud components install cloud-firestore-emulator, or the google-cloud-cli-firestore-emulator package)"; missing=1; }
fi
if ! command -v java >/dev/null 2>&1; then
  say "missing: Java 11+ (the emulators run on the JVM): apt-get install -y openjdk-17-jre-headless"
  missing=1
fi
[ "$missing" = 0 ] && echo "emulators: gcloud $(gcloud version 2>/dev/null | head -1 | awk '{print $NF}'), $(java -version 2>&1 | head -1)"
exit "$missing"
