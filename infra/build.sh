#!/usr/bin/env bash
# Compiles and lints every Bicep file under infra/. Fails on any error or linter warning, and on any registry
# module reference (modules from a registry cannot be fetched here and are not wanted). Output ARM JSON goes to
# a temporary folder, never into the repository.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

mapfile -t files < <(find . -name '*.bicep' -not -path './tools/*' | sort)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "infra/build.sh: no .bicep files found" >&2
  exit 1
fi

failed=0
if grep -nE "^\s*(module|resource)\s+\S+\s+'(br[:/]|ts[:/])" "${files[@]}"; then
  echo "infra/build.sh: registry modules are not allowed; declare the resources directly." >&2
  failed=1
fi

log="$out/bicep.log"
for file in "${files[@]}"; do
  for command in build lint; do
    args=("$command" "$file")
    [[ "$command" == build ]] && args+=(--outdir "$out/$(dirname "$file")")
    if ! bash "$here/bicep.sh" "${args[@]}" >"$log" 2>&1; then
      failed=1
    fi
    # Linter warnings are printed but do not change bicep's exit code: treat them as failures too.
    if grep -qiE '(warning|error)' "$log"; then
      failed=1
    fi
    if [[ -s "$log" ]]; then
      echo "--- bicep $command $file"
      cat "$log"; echo
    fi
  done
done

if [[ $failed -ne 0 ]]; then
  echo "infra/build.sh: FAILED" >&2
  exit 1
fi
echo "infra/build.sh: ${#files[@]} Bicep files built and linted with no errors or warnings."
