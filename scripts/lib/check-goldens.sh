#!/usr/bin/env bash
# Regenerates every PyTorch golden fixture into a temporary directory and compares it byte for byte with the
# committed one. Needs Debian's python3-torch, which it installs when it runs as root; otherwise the check says so
# and is skipped.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/scripts/lib/system-packages.sh"
echo "== PyTorch golden fixtures regenerate byte for byte"
if ! need_packages "the PyTorch golden check" "${TORCH_PACKAGES[@]}"; then
  exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$ROOT/scripts/update-goldens" --out "$out" >/dev/null 2>&1
checked=0
failed=0
while IFS= read -r generated; do
  rel="${generated#"$out"/}"
  checked=$((checked + 1))
  if ! cmp -s "$generated" "$ROOT/$rel"; then
    echo "differs: $rel (run scripts/update-goldens to regenerate, then review and commit)"
    failed=$((failed + 1))
  fi
done < <(find "$out" -type f | sort)
echo "goldens: $((checked - failed)) identical, $failed differ"
[ "$failed" -eq 0 ]
