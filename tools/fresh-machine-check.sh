#!/usr/bin/env bash
# Runs the README's two commands on a bare Debian 12 made for the purpose, as a new user
# would on a fresh machine, and prints how long each took and its last lines.
#
#   tools/fresh-machine-check.sh [--ref REF] [--root DIR] [--keep] [--only 1|2]
#
# 1. mmdebstrap builds a minimal Debian 12 (bookworm, variant minbase: essential packages
#    and apt, nothing else) from the package mirrors this machine's apt uses.
# 2. A clean clone of this repository at REF (default HEAD; only committed work travels)
#    goes to /work/yardstick inside it; ../shared/datasets (or $YARDSTICK_SHARED_DATA) is
#    bound read-only at /work/shared/datasets, where the README's commands look for it.
# 3. Inside a bubblewrap container over that root (its own /dev, the host's /proc and
#    network, an empty environment), as root like a fresh cloud machine's user:
#    command (1) `tools/main.sh`, then command (2) `tools/test.sh`.
# The only things taken from the host besides the mirrors and the datasets are its DNS
# settings and the extra CA certificates it trusts (/usr/local/share/ca-certificates),
# without which HTTPS (PyPI) does not work from this network. Needs root, ~10 GB of disk
# and, on 2 cores, an hour or more. Not part of CI. Exit status: 0 when both commands pass.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
ref=HEAD; root=""; keep=0; only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ref) ref=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --only) only=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "fresh-machine-check: unknown flag $1 (expected --ref, --root, --keep or --only)" >&2; exit 2 ;;
  esac
done
case "$only" in ""|1|2) ;; *) echo "fresh-machine-check: --only expects 1 or 2, got '$only'" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: needs root (mmdebstrap, bind mounts)" >&2; exit 1; }
data=${YARDSTICK_SHARED_DATA:-$repo/../shared/datasets}
[ -d "$data" ] || { echo "fresh-machine-check: datasets not found at $data (set YARDSTICK_SHARED_DATA)" >&2; exit 1; }
data=$(cd "$data" && pwd)
commit=$(git -C "$repo" rev-parse --verify "$ref^{commit}")

need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v bwrap >/dev/null || need+=(bubblewrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "fresh-machine-check: installing ${need[*]} on the host"
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# The mirrors apt uses here: every enabled sources file that names bookworm.
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && grep -Eq '^[^#]*bookworm' "$f" && sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || { echo "fresh-machine-check: no bookworm apt sources found under /etc/apt" >&2; exit 1; }

if [ -z "$root" ]; then root=$(mktemp -d /var/tmp/ys-fresh.XXXXXX); fi
cleanup() { if [ "$keep" = 0 ]; then rm -rf --one-file-system "$root"; else echo "root file system kept at $root"; fi; }
trap cleanup EXIT

t0=$(date +%s)
echo "== mmdebstrap: Debian 12 minbase into $root (mirrors: ${sources[*]}) =="
rm -rf --one-file-system "$root"
mmdebstrap --variant=minbase --quiet bookworm "$root" "${sources[@]}"
cp /etc/resolv.conf "$root/etc/resolv.conf"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
echo "   $(du -sh "$root" | cut -f1) in $(( $(date +%s) - t0 )) s"

echo "== clean clone of $commit =="
mkdir -p "$root/work/shared/datasets"
git clone -q --no-hardlinks "$repo" "$root/work/yardstick"
git -C "$root/work/yardstick" checkout -q "$commit"
git -C "$root/work/yardstick" status --short | head -5

in_root() {
  # The host's /proc, not a new one: a proc mounted by bwrap has read-only sub-mounts, and
  # then the HumanEval sandbox's own bubblewrap may not mount proc in its namespaces.
  bwrap --bind "$root" / --dev /dev --bind /proc /proc --ro-bind /sys /sys --tmpfs /dev/shm \
    --ro-bind "$data" /work/shared/datasets --unshare-ipc --unshare-uts \
    --hostname fresh-debian12 --cap-add ALL --die-with-parent --chdir /work/yardstick \
    /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

results=()
status=0
run_step() {
  local n=$1 cmd=$2 log="$root/work/command$1.log"
  echo "== command ($n): $cmd =="
  local s; s=$(date +%s)
  set +e
  in_root /bin/bash -c "$cmd" >"$log" 2>&1
  local rc=$?
  set -e
  local took=$(( $(date +%s) - s ))
  echo "-- last lines of command ($n) --"
  tail -n 15 "$log"
  results+=("command ($n) \`$cmd\`: exit $rc in ${took} s ($(( took / 60 )) min $(( took % 60 )) s)")
  [ $rc -eq 0 ] || status=1
  if [ "$keep" = 1 ]; then echo "   full log: $log"; else cp "$log" "/var/tmp/ys-fresh-command$n.log"; echo "   full log: /var/tmp/ys-fresh-command$n.log"; fi
}
[ "$only" = 2 ] || run_step 1 tools/main.sh
[ "$only" = 1 ] || run_step 2 tools/test.sh

echo
echo "== fresh-machine check of $commit on Debian $(cat "$root/etc/debian_version") =="
for r in "${results[@]}"; do echo "$r"; done
echo "total $(( $(date +%s) - t0 )) s"
exit $status
