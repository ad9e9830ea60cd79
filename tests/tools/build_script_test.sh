#!/usr/bin/env bash
# tools/build.sh with poisoned build folders (issue: a failed first configure left a
# CMakeCache.txt, and every later run skipped the configure and died with
# "No rule to make target 'Makefile'"). Builds only the small ys_common library, with the
# tests and CUDA off, into temporary folders.   build_script_test.sh SOURCE_DIR
set -uo pipefail
src=${1:?usage: build_script_test.sh SOURCE_DIR}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
args=(-DYARDSTICK_TESTS=OFF -DYARDSTICK_CUDA=OFF)
fail() { echo "FAIL: $*"; exit 1; }

# 1. A configure that fails (a compiler that does not exist): exit 1, the step named,
#    and no CMakeCache.txt left behind to fool the next run.
out=$("$src/tools/build.sh" "$tmp/a" "${args[@]}" -DCMAKE_CXX_COMPILER=/nonexistent/g++ -- ys_common 2>&1); rc=$?
[ $rc -eq 1 ] || fail "failed configure: exit $rc, expected 1"$'\n'"$out"
grep -q "step 'configure' failed for $tmp/a" <<<"$out" || fail "failed configure: step not named"$'\n'"$out"
[ ! -f "$tmp/a/CMakeCache.txt" ] || fail "failed configure left $tmp/a/CMakeCache.txt"
# ... and the next run, with the problem gone, configures and builds.
out=$("$src/tools/build.sh" "$tmp/a" "${args[@]}" -- ys_common 2>&1) || fail "re-run after a failed configure:"$'\n'"$out"
[ -f "$tmp/a/Makefile" ] || [ -f "$tmp/a/build.ninja" ] || fail "re-run: no build system in $tmp/a"
ls "$tmp"/a/common/libys_common.a >/dev/null || fail "re-run: ys_common not built"

# 2. A folder poisoned as a killed configure leaves it: CMakeCache.txt, no Makefile.
mkdir -p "$tmp/b/CMakeFiles"
printf '# This is the CMakeCache file.\nCMAKE_BUILD_TYPE:STRING=RelWithDebInfo\n' >"$tmp/b/CMakeCache.txt"
out=$("$src/tools/build.sh" "$tmp/b" "${args[@]}" -- ys_common 2>&1) || fail "poisoned folder:"$'\n'"$out"
grep -q "configuring again" <<<"$out" || fail "poisoned folder: no 'configuring again' message"$'\n'"$out"
ls "$tmp"/b/common/libys_common.a >/dev/null || fail "poisoned folder: ys_common not built"

# 3. A configured folder is not configured again, and a compile error names its step.
out=$("$src/tools/build.sh" "$tmp/b" -- no_such_target 2>&1); rc=$?
[ $rc -eq 1 ] || fail "unknown target: exit $rc, expected 1"
grep -q "step 'compile' failed for $tmp/b" <<<"$out" || fail "compile failure: step not named"$'\n'"$out"
grep -q "configuring again" <<<"$out" && fail "configured folder was configured again"
echo "PASS"
