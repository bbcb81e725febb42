#!/usr/bin/env bash
# Train a DKD model on this machine, every phase of the recipe, then bundle it into the package.
# Every phase resumes from its last checkpoint (and a finished phase is skipped in seconds),
# so after a stop just run this again.
#   bash scripts/train_default.sh              # dkd-small, the bundled default (about 2.5 h on
#                                              # 2 cores: phases 1 and 2 side by side, then
#                                              # 1b and 3 on both cores)
#   bash scripts/train_default.sh dkd-tiny     # the test model (a few minutes)
#
# The dkd-small recipe (v5.0), phase by phase (see docs/MODEL_CARD.md):
#   0. step path  v4.14's frame encoder, distillator and matcher, trained on rendered Penn
#                 Action motion over the v4 recipe (git history: this script before v5),
#                 with left and right exchanged to person-centric names
#                 (docs/history/step_path_v4.14_person.pt, from scripts/exchange_sides.py)
#   1. init       the EfficientNet-Lite0 initializer from ImageNet weights on real LSPET
#                 images (augmented views), 192 px for 80 % of the steps, then 256 px
#   2. dkd        the step path on LSPET images under synthetic camera motion mixed 1:1
#                 with rendered Penn Action clips, rollouts started from the truth, plus
#                 the temporal adversarial loss
#   1b. init      (v5.1) the initializer trained on: 1,300 steps of a 1,500-step schedule,
#                 lr 4e-4, 192 px for 60 % of the schedule, then 256 px
#   3. qat        int8-aware fine-tuning of both graphs on the same mix
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-dkd-small}
DKD=${DKD:-dkd-edge}
RUNS=${RUNS:-runs}
# Extra flags for every phase, e.g. TRAIN_FLAGS="--threads 1" beside another job.
read -r -a FLAGS <<< "${TRAIN_FLAGS:-}"
train() { $DKD train --config "$CONFIG" "$@" "${FLAGS[@]}"; }
final() { echo "$RUNS/$1/$CONFIG/$2/final.pt"; }

if [ "$CONFIG" = "dkd-tiny" ]; then
  train --stage init --out "$RUNS/base" --steps 1500 --save-every 250
  train --stage dkd --out "$RUNS/base" --steps 800 --save-every 200
  train --stage qat --out "$RUNS/base" --init-from "$(final base dkd)" --steps 150 --save-every 50
  python -m dkd_edge.model.bundle "$(final base qat)" "dkd_edge/weights/$CONFIG.pt" \
      --version tiny-v5.0
  exit 0
fi

# Phases 1 and 2 run side by side on two cores with one thread each (THREADS to change).
T=${THREADS:-1}
train --stage init --out "$RUNS/real" --data lspet --steps 2000 --batch 16 --clip-len 1 \
      --lr 1e-3 --low-res-fraction 0.8 --threads "$T" --max-minutes 88 --save-every 25 &
train --stage dkd --out "$RUNS/real" --data mixed --real-prob 0.5 --first-state truth \
      --init-from docs/history/step_path_v4.14_person.pt --steps 3000 --batch 4 \
      --clip-len 6 --lr 5e-4 --threads "$T" --max-minutes 80 --save-every 25 &
wait
train --stage init --out "$RUNS/real2" --data lspet --init-from "$(final real init)" \
      --steps 1500 --stop-at 1300 --batch 16 --clip-len 1 --lr 4e-4 --low-res-fraction 0.6 \
      --threads 2 --save-every 25                                                     # 1b
train --stage qat --out "$RUNS/real2" --data mixed --real-prob 0.5 \
      --init-from "$(final real dkd)" --initializer-from "$RUNS/real2/$CONFIG/init/last.pt" \
      --steps 120 --batch 2 --clip-len 6 --lr 1e-5 --save-every 10 --threads 2        # 3
python -m dkd_edge.model.bundle "$(final real2 qat)" "dkd_edge/weights/$CONFIG.pt" \
    --version v5.1
