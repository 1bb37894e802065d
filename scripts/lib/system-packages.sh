# Debian packages the scripts need beyond a JDK and Maven, installed on first use so that a fresh machine runs the
# README's commands and nothing else. Sourced, not run.
#
#   need_packages WHY PACKAGE...   installs the missing ones (as root, with apt-get) and returns 0; otherwise
#                                  prints one line saying what to install for WHY and returns 1
#
# PyTorch comes with OpenBLAS on purpose: without libopenblas0-pthread Debian's python3-torch multiplies matrices
# with the reference BLAS, about 40x slower, which would make every benchmark ratio against it a lie.
TORCH_PACKAGES=(python3-torch python3-numpy libopenblas0-pthread)

package_installed() { # $1 = package name
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

need_packages() {
  local why="$1" missing=() p
  shift
  for p in "$@"; do
    package_installed "$p" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "skipped $why: needs ${missing[*]} (apt-get install ${missing[*]}, as root)" >&2
    return 1
  fi
  echo "installing ${missing[*]} for $why (apt-get, once) ..." >&2
  local log="${TMPDIR:-/tmp}/attention-lab-apt.log"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    echo "error: apt-get could not install ${missing[*]} for $why; the end of $log:" >&2
    tail -n 5 "$log" >&2
    exit 1
  fi
}
