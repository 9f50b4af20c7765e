#!/usr/bin/env bash
# Screenshots a sycophancy report's report.html with Debian's headless Chromium.
#   scripts/screenshot-report.sh REPORT_DIR [OUT.png]     (default OUT: REPORT_DIR/report.png)
# Environment: WIDTH (default 1280), HEIGHT (default 2400).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 REPORT_DIR [OUT.png]" >&2
    exit 2
fi
dir=$1
html="$dir/report.html"
if [ ! -f "$html" ]; then
    echo "error: $html not found (write a report first: align eval sycophancy --out $dir)" >&2
    exit 2
fi
browser=""
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then browser=$(command -v "$name"); break; fi
done
if [ -z "$browser" ]; then
    echo "error: chromium not found; install it with: apt-get install chromium" >&2
    exit 3
fi
out=${2:-"$dir/report.png"}
out_abs=$(realpath -m "$out")
html_abs=$(realpath "$html")
mkdir -p "$(dirname "$out_abs")"
rm -f "$out_abs"
# Chromium writes to a fresh profile under a temporary HOME, and says too much on stderr: keep it for errors.
profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT
if ! HOME="$profile" "$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars \
        --user-data-dir="$profile" --window-size="${WIDTH:-1280},${HEIGHT:-2400}" \
        --screenshot="$out_abs" "file://$html_abs" >"$log" 2>&1 || [ ! -s "$out_abs" ]; then
    echo "error: chromium wrote no screenshot: $(grep -m1 -i error "$log" || tail -n1 "$log")" >&2
    exit 1
fi
echo "$out_abs"
