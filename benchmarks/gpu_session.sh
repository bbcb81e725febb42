#!/usr/bin/env bash
# The checks and the training run of one short session on a CUDA machine, in one command
# (device time is scarce: each part has its own time limit and a failed part does not stop
# the others). Run from the repository root:
#   OUT=runs/gpu ARTIFACT=out/onnx-fp32 DEADLINE_S=540 bash benchmarks/gpu_session.sh
# v4.12's round, continued from the bundle with weights measured on v4.12's float path:
#   TRAIN_FLAGS="--lr 2e-4 --peak-weight 1.0 --swap-prob 0.15 --drift-prob 0.08
#   --mirror-prob 0.5 --action-weights docs/action_weights_v4.12.json --seed 150" \
#   DKD_SHARED=<a carried copy of ../shared> OUT=$OUT bash benchmarks/gpu_session.sh
# (the device tool sends the checkout only: carry the Penn labels in an ignored folder).
# 1. tests/test_gpu.py: the CUDA torch reference against the CPU one (fp32, TF32 off) and
#    training on CUDA with checkpoints that resume on the CPU;
# 2. `dkd-edge bench --device cuda` on the ONNX artifact in ARTIFACT;
# 3. a dkd-stage round on the GPU from INIT (default: the bundled dkd-small) with TRAIN_FLAGS,
#    its step count sized from a short throughput probe so that the cosine schedule ends
#    before DEADLINE_S; with PROBE=0 no probe: `--max-minutes` fits the schedule to the time
#    left instead (ECHO=N adds `--max-echo N`: data echoing while the renderer is behind).
# TESTS=0 skips part 1.
# Everything it measures lands in OUT (final.pt, metrics, logs, JSON).
set -u
START=$(date +%s)
OUT=${OUT:-runs/gpu}
DEADLINE_S=${DEADLINE_S:-540}
PY=${PY:-python3}
DEVICE=${DEVICE:-cuda}  # cpu for a dry run of this script
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
export DKD_SHARED=${DKD_SHARED:-../shared}
PENN=$DKD_SHARED/data/penn_action
WORKERS=${WORKERS:-$(( $(nproc) - 2 ))}
BATCH=${BATCH:-48}
INIT=${INIT:-dkd_edge/weights/dkd-small.pt}
ECHO=${ECHO:-0}
CLIP=${CLIP:-5}
read -r -a FLAGS <<< "${TRAIN_FLAGS:-}"
mkdir -p "$OUT"
left() { echo $(( DEADLINE_S - ($(date +%s) - START) )); }

{ nvidia-smi -L; nproc; $PY -c "import torch, numpy, onnxruntime; print('torch', \
torch.__version__, 'numpy', numpy.__version__, 'onnxruntime', onnxruntime.__version__)"; } \
  > "$OUT/machine.txt" 2>&1
if [ "${TESTS:-1}" != 0 ]; then
  echo "== tests ($(left) s left)"
  timeout 120 $PY -m pytest -q -p no:cacheprovider tests/test_gpu.py 2>&1 | tail -15 \
    | tee "$OUT/test_gpu.log"
fi
if [ -n "${ARTIFACT:-}" ]; then
  echo "== bench --device cuda ($(left) s left)"
  timeout 150 $PY -m dkd_edge bench --device "$DEVICE" --model "$ARTIFACT" --targets onnx \
    --frames 100 --runs 50 --clips 4 --penn-root "$PENN" --out /tmp/bench_cuda \
    --json "$OUT/bench_cuda.json" > "$OUT/bench_cuda.log" 2>&1
  echo "bench exit $?"; tail -8 "$OUT/bench_cuda.log"
fi

TRAIN=($PY -m dkd_edge train --config dkd-small --stage dkd --device "$DEVICE" --workers "$WORKERS"
       --penn-root "$PENN" --clip-len "$CLIP" --batch "$BATCH" --init-from "$INIT"
       --initializer-from dkd_edge/weights/dkd-small.pt --max-echo "$ECHO" "${FLAGS[@]}")
if [ "${PROBE:-1}" = 0 ]; then
  # The loop's clock starts after start-up (imports, CUDA, weights), and after final.pt the
  # 14 rendering workers take a while to shut down: on the H200, 45 s in hand was 10 s too
  # few (final.pt written, then the timeout hit the shut-down), so 70 s.
  MINUTES=$($PY -c "print(max(0.5, ($(left) - 70) / 60))")
  echo "== train for $MINUTES min ($(left) s left)" | tee -a "$OUT/machine.txt"
  timeout $(( $(left) - 5 )) "${TRAIN[@]}" --out /tmp/gpurun --steps 100000 --save-every 100 \
    --max-minutes "$MINUTES" > "$OUT/train.log" 2>&1
  echo "train exit $?"
else
echo "== probe ($(left) s left)"
# The first ~2 x WORKERS steps eat batches the workers rendered ahead, so the rate is read
# after step 50 only (a 40-step probe read 1,620 frames/s where the run then averaged 1,100),
# and 10 % is kept in hand.
timeout 150 "${TRAIN[@]}" --out /tmp/probe --steps 100 --save-every 1000 > /tmp/probe.log 2>&1 \
  || tail -c 1500 /tmp/probe.log
RATE=$($PY -c "import json, statistics; r=[json.loads(l) for l in open('/tmp/probe/dkd-small/dkd/metrics.jsonl')]; print(0.9 * statistics.mean(x['frames_per_s'] for x in r if x['step'] > 50))" 2>/dev/null || echo 0)
BUDGET=$(( $(left) - 45 ))
STEPS=$($PY -c "print(max(0, int($BUDGET * $RATE / ($BATCH * $CLIP))))")
echo "probe: $RATE frames/s; $STEPS steps in $BUDGET s" | tee -a "$OUT/machine.txt"
if [ "$STEPS" -gt 50 ]; then
  timeout $(( $(left) - 15 )) "${TRAIN[@]}" --out /tmp/gpurun --steps "$STEPS" --save-every 100 \
    > "$OUT/train.log" 2>&1
  echo "train exit $?"
fi
fi
RUN=/tmp/gpurun/dkd-small/dkd
cp "$RUN/metrics.jsonl" "$OUT/" 2>/dev/null
if [ -f "$RUN/final.pt" ]; then cp "$RUN/final.pt" "$OUT/"; else cp "$RUN/last.pt" "$OUT/" 2>/dev/null; fi
tail -c 1500 "$OUT/train.log" 2>/dev/null
ls -la "$OUT"; echo "done in $(( $(date +%s) - START )) s"
