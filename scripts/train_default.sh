#!/usr/bin/env bash
# Train a DKD model on this machine, every phase of the recipe, then bundle it into the package.
# Every phase resumes from its last checkpoint (and a finished phase is skipped in seconds),
# so after a stop just run this again.
#   bash scripts/train_default.sh              # dkd-small, the bundled default (~13.5 h on 2
#                                              # cores, plus ~8 h for 4r/4s without a GPU
#                                              # and ~1.6 h for 4t)
#   WORKERS=14 bash scripts/train_default.sh   # on a GPU machine: 14 rendering workers
#   bash scripts/train_default.sh dkd-tiny     # the test model (a few minutes)
#
# The dkd-small recipe (v4.13), phase by phase (see docs/MODEL_CARD.md):
#   1. init      the initializer on single frames, heatmap MSE, 2,000 steps
#   2. dkd       the step path on 10-frame clips, initializer frozen, MSE + adversarial
#   3. peak      + the spatial cross-entropy peak loss (--peak-weight 0.5)
#   4. long      20-frame clips, --peak-weight 1.0
#   4b. deep     2,000 more steps at lr 5e-4 (v4 grew the encoder's stride-16 stage from 2
#                to 6 blocks here; from scratch the deep encoder trains from phase 2 on)
#   4c. more     2,500 more steps at lr 3e-4 (v4.1)
#   4d. longer   1,700 steps of 30-frame clips at lr 2e-4 (v4.1)
#   4e-4g.       v4.2 fine-tuned the step path on clips with the renderer's facing cues:
#                2,400 steps of 20-frame clips (lr 3e-4), 1,000 of 30 (lr 2e-4), then 1,700
#                of 20 (lr 2e-4). From scratch every phase already sees those cues.
#   4h. recover  2,800 steps of 20-frame clips (lr 2e-4) with --swap-prob 0.15: rollouts that
#                start from mirror swaps, so the step path learns to recover (v4.3)
#   5. init-ft   the initializer fine-tuned with the peak loss
#   5b/5c.       1,400 more steps at lr 4e-4, then 1,000 at full resolution at lr 3e-4 (v4.1)
#   5d.          1,000 more at full resolution at lr 3e-4 (v4.2, facing cues)
#   5e.          1,400 more at full resolution at lr 2e-4 (v4.3)
#   4i. drift    2,800 steps of 20-frame clips (lr 1e-4), --drift-prob 0.08: tracking errors
#                injected mid-rollout, rollouts started by the final initializer (v4.4; runs
#                after 5e for that reason)
#   4j. diverse  2,400 steps of 6-frame clips, 6 clips a batch (lr 1e-4), same recovery
#                flags: more people per step than 2 x 20 frames (v4.5)
#   4k. diverse2 2,400 steps of 4-frame clips, 10 clips a batch (lr 1e-4, v4.6)
#   4l. hard     per-action weights from 4k's errors on train-split clips
#                (scripts/action_weights.py), then 2,400 steps of 5-frame clips, 8 a batch,
#                drawn with them: hard actions (sit-ups, push-ups, ...) more often (v4.7)
#   4m. hard2    weights re-measured on 4l at --power 1.0, then 1,200 steps of 5-frame
#                clips x 8 at lr 5e-5 with them (v4.8)
#   4n. hard3    weights re-measured on 4m at --power 1.0, then 1,200 steps of 5-frame
#                clips x 8 at lr 1e-4 with them (v4.9)
#   4o. hard4    the same again from 4n (v4.10)
#   4p. mirror   the same again from 4o with --mirror-prob 0.5: half the drawn motion
#                reflected left to right, labels swapped (v4.11)
#   4q. mirror2  the same again from 4p (v4.11)
#   6. qat       (v4.11's) int8-aware fine-tuning, as below
#   4r. gpu      per-action weights measured on v4.11, then 48 clips of 5 frames a step at
#                lr 2e-4 with the same flags as 4q, on one GPU (v4.12): a 3,073-step cosine
#                schedule that the time box stopped at step 2,200 (--stop-at reproduces it)
#   4s. gpu2     420 more steps from 4r's last.pt at lr 4e-5 (warm-up, then cosine to 2 % of it)
#   6b. qat412   int8-aware fine-tuning of both graphs, with the fine-tuned initializer,
#                at lr 1e-5, without rounding noise (since v4.8; v4.7 used --rounding-noise 0.1)
#   4t. cpu413   per-action weights measured on 4s, then 700 steps of 48 clips x 5 frames at
#                lr 1.5e-4, rollouts started from the truth (--first-state truth), 4r's other
#                flags (v4.13: about 95 minutes on the 2 cores here)
#   6c. qat413   6b's QAT on 4t
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
  python -m dkd_edge.model.bundle "$(final base qat)" "dkd_edge/weights/$CONFIG.pt"
  exit 0
fi

train --stage init --out "$RUNS/base"                                           # 1
train --stage dkd --out "$RUNS/base" --clip-len 10 --steps 2400 --lr 1e-3       # 2
train --stage dkd --out "$RUNS/peak" --init-from "$(final base dkd)" \
      --clip-len 10 --steps 600 --lr 5e-4 --peak-weight 0.5                     # 3
train --stage dkd --out "$RUNS/long" --init-from "$(final peak dkd)" \
      --clip-len 20 --batch 2 --steps 900 --lr 3e-4 --peak-weight 1.0          # 4
train --stage dkd --out "$RUNS/deep" --init-from "$(final long dkd)" \
      --clip-len 20 --batch 2 --steps 2000 --lr 5e-4 --peak-weight 1.0         # 4b
train --stage dkd --out "$RUNS/more" --init-from "$(final deep dkd)" \
      --clip-len 20 --batch 2 --steps 2500 --lr 3e-4 --peak-weight 1.0         # 4c
train --stage dkd --out "$RUNS/longer" --init-from "$(final more dkd)" \
      --clip-len 30 --batch 2 --steps 1700 --lr 2e-4 --peak-weight 1.0         # 4d
train --stage dkd --out "$RUNS/face" --init-from "$(final longer dkd)" \
      --clip-len 20 --batch 2 --steps 2400 --lr 3e-4 --peak-weight 1.0         # 4e
train --stage dkd --out "$RUNS/face30" --init-from "$(final face dkd)" \
      --clip-len 30 --batch 2 --steps 1000 --lr 2e-4 --peak-weight 1.0         # 4f
train --stage dkd --out "$RUNS/face20" --init-from "$(final face30 dkd)" \
      --clip-len 20 --batch 2 --steps 1700 --lr 2e-4 --peak-weight 1.0         # 4g
train --stage dkd --out "$RUNS/recover" --init-from "$(final face20 dkd)" \
      --clip-len 20 --batch 2 --steps 2800 --lr 2e-4 --peak-weight 1.0 \
      --swap-prob 0.15                                                          # 4h
train --stage init --out "$RUNS/init-ft" --init-from "$(final base init)" \
      --steps 1100 --lr 5e-4 --peak-weight 0.5                                  # 5
train --stage init --out "$RUNS/init-ft2" --init-from "$(final init-ft init)" \
      --steps 1400 --lr 4e-4 --peak-weight 0.5                                  # 5b
train --stage init --out "$RUNS/init-ft3" --init-from "$(final init-ft2 init)" \
      --steps 1000 --low-res-fraction 0 --lr 3e-4 --peak-weight 0.5            # 5c
train --stage init --out "$RUNS/init-ft4" --init-from "$(final init-ft3 init)" \
      --steps 1000 --low-res-fraction 0 --lr 3e-4 --peak-weight 0.5            # 5d
train --stage init --out "$RUNS/init-ft5" --init-from "$(final init-ft4 init)" \
      --steps 1400 --low-res-fraction 0 --lr 2e-4 --peak-weight 0.5            # 5e
train --stage dkd --out "$RUNS/drift" --init-from "$(final recover dkd)" \
      --initializer-from "$(final init-ft5 init)" --clip-len 20 --batch 2 \
      --steps 2800 --lr 1e-4 --peak-weight 1.0 --swap-prob 0.15 \
      --drift-prob 0.08                                                         # 4i (after 5e)
train --stage dkd --out "$RUNS/diverse" --init-from "$(final drift dkd)" \
      --initializer-from "$(final init-ft5 init)" --clip-len 6 --batch 6 \
      --steps 2400 --lr 1e-4 --peak-weight 1.0 --swap-prob 0.15 \
      --drift-prob 0.08                                                         # 4j
train --stage dkd --out "$RUNS/diverse2" --init-from "$(final diverse dkd)" \
      --initializer-from "$(final init-ft5 init)" --clip-len 4 --batch 10 \
      --steps 2400 --lr 1e-4 --peak-weight 1.0 --swap-prob 0.15 \
      --drift-prob 0.08                                                         # 4k
# One action-weighted round: weights measured on FROM's train-split errors, then 5-frame
# clips x 8 drawn with them. Usage: weighted_round OUT FROM STEPS LR POWER [FLAGS...]
weighted_round() {
  local out=$1 from=$2 steps=$3 lr=$4 power=$5
  shift 5
  local weights="$RUNS/$out/action_weights.json"
  [ -f "$weights" ] || python scripts/action_weights.py "$(final "$from" dkd)" \
      --power "$power" --out "$weights"
  train --stage dkd --out "$RUNS/$out" --init-from "$(final "$from" dkd)" \
      --initializer-from "$(final init-ft5 init)" --clip-len 5 --batch 8 \
      --steps "$steps" --lr "$lr" --peak-weight 1.0 --swap-prob 0.15 \
      --drift-prob 0.08 --action-weights "$weights" "$@"
}
weighted_round hard diverse2 2400 1e-4 0.5                                      # 4l
weighted_round hard2 hard 1200 5e-5 1.0                                         # 4m
weighted_round hard3 hard2 1200 1e-4 1.0                                        # 4n
weighted_round hard4 hard3 1200 1e-4 1.0                                        # 4o
weighted_round mirror hard4 1200 1e-4 1.0 --mirror-prob 0.5                     # 4p
weighted_round mirror2 mirror 1200 1e-4 1.0 --mirror-prob 0.5                   # 4q
train --stage qat --out "$RUNS/qat411" --init-from "$(final mirror2 dkd)" \
      --initializer-from "$(final init-ft5 init)" --steps 150 --batch 4 --clip-len 6 \
      --lr 1e-5 --peak-weight 1.0 --rounding-noise 0                            # 6
# v4.12: big batches on a GPU (the ~8 h without one: about 7 s a step on the 2 cores here).
gpu_round() {
  local out=$1
  shift
  train --stage dkd --out "$RUNS/$out" --initializer-from "$(final init-ft5 init)" \
      --clip-len 5 --batch 48 --workers "${WORKERS:-1}" --peak-weight 1.0 --swap-prob 0.15 \
      --drift-prob 0.08 --mirror-prob 0.5 --action-weights "$RUNS/gpu/action_weights.json" "$@"
}
[ -f "$RUNS/gpu/action_weights.json" ] || python scripts/action_weights.py \
    "$(final qat411 qat)" --power 1.0 --out "$RUNS/gpu/action_weights.json"
gpu_round gpu --init-from "$(final qat411 qat)" --steps 3073 --stop-at 2200 --lr 2e-4 \
    --seed 140 --save-every 100                                                 # 4r
gpu_round gpu2 --init-from "$RUNS/gpu/$CONFIG/dkd/last.pt" --steps 420 --lr 4e-5 \
    --seed 141                                                                  # 4s
train --stage qat --out "$RUNS/qat412" --init-from "$(final gpu2 dkd)" \
      --steps 150 --batch 4 --clip-len 6 --lr 1e-5 --peak-weight 1.0 \
      --rounding-noise 0 --seed 142                                             # 6b
# v4.13: a round of 4r's batches from 4s, without the initializer's pass in training.
[ -f "$RUNS/cpu413/action_weights.json" ] || python scripts/action_weights.py \
    "$(final gpu2 dkd)" --power 1.0 --out "$RUNS/cpu413/action_weights.json"
train --stage dkd --out "$RUNS/cpu413" --init-from "$(final gpu2 dkd)" --clip-len 5 \
    --batch 48 --workers "${WORKERS:-2}" --steps 700 --lr 1.5e-4 --peak-weight 1.0 \
    --swap-prob 0.15 --drift-prob 0.08 --mirror-prob 0.5 --first-state truth \
    --action-weights "$RUNS/cpu413/action_weights.json" --seed 150 --save-every 25  # 4t
train --stage qat --out "$RUNS/qat413" --init-from "$(final cpu413 dkd)" \
      --steps 150 --batch 4 --clip-len 6 --lr 1e-5 --peak-weight 1.0 \
      --rounding-noise 0 --seed 152                                             # 6c
python -m dkd_edge.model.bundle "$(final qat413 qat)" "dkd_edge/weights/$CONFIG.pt"
