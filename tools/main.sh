#!/usr/bin/env bash
# The front door: set up (installing what is missing), build, then run the main job on
# the default model.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh build >/dev/null
exec build/bin/yardstick inspect models/SmolLM2-135M-Instruct.Q4_1.gguf
