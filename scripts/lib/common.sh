# Shared by scripts/run, scripts/test and scripts/bench: find a JDK >= 21 and build what is missing.
# Sourced, not run. Sets ROOT, JAVA_HOME, JAVA.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MIN_JAVA=21

die() { # one line, exit 2: the user's input or environment is wrong
  echo "error: $*" >&2
  exit 2
}

java_feature_version() { # $1 = a JDK home; prints its feature version (17, 21, 25, ...) or nothing
  local release="$1/release" v
  [ -x "$1/bin/java" ] || return 0
  if [ -f "$release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$release")
  else
    v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9][0-9]*\).*/\1/p')
  fi
  [ "$v" = "1" ] && v=8
  echo "$v"
}

find_jdk() {
  local v best="" best_v=0 home
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(java_feature_version "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge "$MIN_JAVA" ]; then
      JDK_CHOSEN_BECAUSE="JAVA_HOME"
      return 0
    fi
  fi
  for home in /usr/lib/jvm/*; do
    [ -d "$home" ] && [ ! -L "$home" ] || continue
    v=$(java_feature_version "$home")
    if [ -n "$v" ] && [ "$v" -ge "$MIN_JAVA" ] && [ "$v" -gt "$best_v" ]; then
      best="$home"
      best_v="$v"
    fi
  done
  [ -n "$best" ] || die "no JDK >= $MIN_JAVA found (JAVA_HOME=${JAVA_HOME:-unset} is older or missing, and none under /usr/lib/jvm); install one, e.g. apt-get install openjdk-21-jdk-headless"
  JAVA_HOME="$best"
  JDK_CHOSEN_BECAUSE="newest under /usr/lib/jvm"
}

find_jdk
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
JAVA="$JAVA_HOME/bin/java"

say_jdk() {
  echo "using JDK $(java_feature_version "$JAVA_HOME") at $JAVA_HOME ($JDK_CHOSEN_BECAUSE)" >&2
}

require_maven() {
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is not installed; apt-get install maven"
}

BUILD_STAMP="$ROOT/model/target/.build-stamp"

sources_changed_since_build() {
  [ -f "$BUILD_STAMP" ] || return 0
  [ -n "$(find "$ROOT/pom.xml" "$ROOT/tornado-api-jvm" "$ROOT/tornado-kernels" "$ROOT/model" \
      \( -path '*/target' -prune \) -o \( -type f \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$BUILD_STAMP" -print \) 2>/dev/null | head -n 1)" ]
}

# Builds the runnable jars (no tests) when they are missing or older than the sources; quiet unless it fails.
ensure_built() {
  if ! sources_changed_since_build; then
    return 0
  fi
  require_maven
  echo "building Attention Lab (once; about a minute the first time) ..." >&2
  local log="$ROOT/target/build.log"
  mkdir -p "$ROOT/target"
  if ! (cd "$ROOT" && mvn -B -q -DskipTests -pl model -am package >"$log" 2>&1); then
    echo "error: the build failed; the end of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  touch "$BUILD_STAMP"
}

# Checks that TORNADOVM_HOME holds a complete TornadoVM SDK before a JVM is started with it: an empty argfile or a
# missing jar otherwise surfaces as a NoClassDefFoundError in every command. Says what is missing in one line, exit 2.
check_tornadovm_sdk() {
  local home="${TORNADOVM_HOME:-}" argfile modules module jar dir option value lib
  local where="TORNADOVM_HOME=$home is not a complete TornadoVM SDK"
  [ -d "$home" ] || die "TORNADOVM_HOME=$home is not a directory"
  argfile="$home/tornado-argfile"
  [ -f "$argfile" ] || die "$where: it has no tornado-argfile"
  [ -s "$argfile" ] || die "$where: its tornado-argfile is empty (reinstall the SDK)"
  grep -q -E '^--module-path ' "$argfile" || die "$where: its tornado-argfile names no --module-path (reinstall the SDK)"
  while read -r option value; do
    IFS=':' read -r -a dirs <<<"$value"
    for dir in "${dirs[@]}"; do
      [ "$dir" = "." ] && continue
      [ -d "$dir" ] || die "$where: $dir (tornado-argfile's $option) does not exist"
      compgen -G "$dir/*.jar" >/dev/null || die "$where: $dir (tornado-argfile's $option) holds no jar"
    done
  done < <(grep -E '^--(upgrade-)?module-path ' "$argfile")
  modules=$(sed -n 's/^--add-modules[ =]//p' "$argfile" | tr ',' ' ')
  for module in tornado.api $modules; do
    case "$module" in tornado.*) ;; *) continue ;; esac
    jar="tornado-$(tr '.' '-' <<<"${module#tornado.}")"
    compgen -G "$home/share/java/tornado/$jar-[0-9]*.jar" >/dev/null \
      || die "$where: $home/share/java/tornado has no $jar-*.jar (module $module)"
  done
  lib=$(sed -n 's/^-Djava.library.path=//p' "$argfile")
  IFS=':' read -r -a dirs <<<"$lib"
  for dir in ${dirs[@]+"${dirs[@]}"}; do
    [ -d "$dir" ] || die "$where: the native library folder $dir (tornado-argfile's -Djava.library.path) does not exist"
  done
}

# The TornadoVM settings every JVM started on an SDK runs with (scripts/run, scripts/bench's kernel benchmarks; the
# device tests get the same from pom.xml's it.jvm.args):
# - bailout off: a kernel TornadoVM cannot compile is an error, not a silent run on the JVM.
# - 64 KB of TornadoVM bytecode per task graph (its default, 4 KB, holds about two transformer blocks): the forward
#   pass then needs fewer graphs, and each graph's execution costs 150-200 us on PoCL besides its tasks (GraphLimits).
# - 1024 event slots per dependency list (TornadoVM's default, 32768, is 128 KB a list): TornadoVM refills every list
#   with -1 at each execution of a graph (TornadoVMInterpreter.initWaitEventList), whether or not it tracks events,
#   and at 32768 that fill was 58 % of the host's Java time on PoCL (JFR, rnope-swa L = 128, 2026-12-01, Zen 3); with
#   1024 the host thread's CPU went from 6.5 to 3.7 ms a forward and the time with no kernel running from 7.2 to
#   4.3 ms (perf; benchmarks/README.md, 2026-12-01, host10). A list holds at most one event per node of its graph,
#   and a graph has at most 1024 nodes (GraphLimits).
TORNADOVM_SETTINGS=(-Dtornado.recover.bailout=False -Dtornado.tvm.maxbytecodesize=65536 -Dtornado.max.events=1024)

# The one line a JVM started with a TornadoVM SDK's argfile prints on stderr before anything else: the argfile's
# --add-modules ALL-SYSTEM resolves jdk.incubator.vector. It would come before every one-line error.
INCUBATOR_WARNING='^WARNING: Using incubator modules: '

# Runs "$JAVA" "$@" (a TornadoVM SDK's JVM) and returns its exit code. Its stderr streams through as it comes, less
# exactly the incubator-modules line; SIGINT and SIGTERM sent to this script (Ctrl-C included: java runs in its own
# process group) are passed on to java, which deletes what it was writing and exits 130 or 143 as it would alone.
run_tornadovm_java() {
  local filtered filter java status
  exec {filtered}> >(trap '' INT TERM; exec grep -v --line-buffered -e "$INCUBATOR_WARNING" >&2)
  filter=$!
  # job control for this one job: without it bash starts a background job with SIGINT ignored, and java keeps that
  set -m
  "$JAVA" "$@" 0<&0 2>&"$filtered" &
  java=$!
  set +m
  trap 'kill -s TERM "$java" 2>/dev/null' TERM
  trap 'kill -s INT "$java" 2>/dev/null' INT
  while :; do
    status=0
    wait "$java" || status=$?
    kill -0 "$java" 2>/dev/null || break # a trapped signal ended the wait, not java: wait again
  done
  trap - TERM INT
  exec {filtered}>&-
  wait "$filter" || true # the filter's last lines are out before the script goes on
  return "$status"
}
