#!/bin/sh
# Reproduce the model that ships with the app (maml_gui/bundled/finn2017-sinusoid/):
# the finn2017-sinusoid preset trained for 20,000 iterations by the app's own CLI, one thread,
# seed 0. Only model.safetensors and config.toml are shipped; after retraining, put the two
# sha256 sums this prints into BUNDLED_SHA256 in maml_gui/core/bundled.py.
# Usage: sh resources/train_bundled_model.sh [PYTHON]   (run from the repository root)
set -eu
PYTHON="${1:-python}"
ITERATIONS=20000
DEST=maml_gui/bundled/finn2017-sinusoid
RUN="$(mktemp -d)/run"
"$PYTHON" -m maml_gui train --preset finn2017-sinusoid --iterations "$ITERATIONS" --seed 0 --threads 1 \
    --quiet --out "$RUN"
"$PYTHON" -m maml_gui evaluate "$RUN" --shots 5 --steps 0,1,5,10 --baseline
mkdir -p "$DEST"
cp "$RUN/model.safetensors" "$RUN/config.toml" "$DEST/"
rm -rf "$RUN"
sha256sum "$DEST/model.safetensors" "$DEST/config.toml"
