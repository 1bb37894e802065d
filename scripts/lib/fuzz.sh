#!/usr/bin/env bash
# Fuzzes one reader of untrusted files with Jazzer (model/src/test/java/.../fuzz/LoaderFuzzTest.java) for a while.
# The test suite runs only the seed inputs; this is the long run, outside CI:
#   scripts/lib/fuzz.sh config 10m         # the YAML config loader
#   scripts/lib/fuzz.sh safetensors 10m    # the safetensors reader
# A finding fails the run and is saved as a crash-* input under
# model/src/test/resources/org/attentionlab/model/fuzz/LoaderFuzzTestInputs/<test>/, where the suite then runs it;
# the corpus grown while fuzzing stays in model/.cifuzz-corpus/ (ignored by git) and seeds the next run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case "${1:-}" in
  config) test=configLoaderAcceptsOrRefusesInOneLine ;;
  safetensors) test=safetensorsReaderAcceptsOrRefusesInOneLine ;;
  *) die "usage: scripts/lib/fuzz.sh config|safetensors [DURATION, e.g. 10m (default)]" ;;
esac
duration="${2:-10m}"
say_jdk
require_maven
cd "$ROOT"
echo "fuzzing LoaderFuzzTest#$test for $duration (report: model/target/surefire-reports/)"
JAZZER_FUZZ=1 JAZZER_MAX_DURATION="$duration" mvn -B -ntp -pl model -am test -Dtest="LoaderFuzzTest#$test" \
  -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=false
