#!/usr/bin/env bash
# Peers for the benchmarks (never part of the product): Debian's native tesseract and OCRmyPDF.
set -euo pipefail
need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd)
if [ "${BENCH_NEEDS_OCRMYPDF:-0}" = 1 ]; then
  command -v ocrmypdf >/dev/null 2>&1 || need+=(ocrmypdf)
  # bench:pdf builds its G4 scan with these.
  command -v img2pdf >/dev/null 2>&1 || need+=(img2pdf)
  command -v ppm2tiff >/dev/null 2>&1 || need+=(libtiff-tools)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "benchmark peers missing: sudo apt-get install -y ${need[*]}" >&2; exit 1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
tesseract --version 2>&1 | head -1
