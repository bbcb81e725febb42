#!/usr/bin/env bash
# Train a DKD model on this machine, all three stages, then bundle it into the package.
# Every stage resumes from its last checkpoint, so after a stop just run this again.
#   bash scripts/train_default.sh              # dkd-small, the bundled default (~2 h, 2 cores)
#   bash scripts/train_default.sh dkd-tiny     # the test model (a few minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-dkd-small}
DKD=${DKD:-dkd-edge}
# Extra flags for every stage, e.g. TRAIN_FLAGS="--threads 1" beside another job.
read -r -a FLAGS <<< "${TRAIN_FLAGS:-}"
EXTRA_INIT=() EXTRA_DKD=() EXTRA_QAT=()
if [ "$CONFIG" = "dkd-tiny" ]; then
  EXTRA_INIT=(--steps 1500 --save-every 250)
  EXTRA_DKD=(--steps 800 --save-every 200)
  EXTRA_QAT=(--steps 150 --save-every 50)
fi
$DKD train --config "$CONFIG" --stage init "${EXTRA_INIT[@]}" "${FLAGS[@]}"
$DKD train --config "$CONFIG" --stage dkd "${EXTRA_DKD[@]}" "${FLAGS[@]}"
$DKD train --config "$CONFIG" --stage qat "${EXTRA_QAT[@]}" "${FLAGS[@]}"
python -m dkd_edge.model.bundle "runs/$CONFIG/qat/final.pt" "dkd_edge/weights/$CONFIG.pt"
