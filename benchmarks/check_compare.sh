#!/usr/bin/env bash
# Repeat the noise and sensitivity check of `hoh bench compare` (docs/contributing/benchmarks.md):
# 5 compares of HEAD against itself (CPU and wall time), then one per injected slowdown, each on a scratch clone,
# all while a training job runs in a loop beside them (CHECK_LOAD=none: nothing beside them, as CI's gate runs).
# Run from the repository root with the venv active (PYTHONPATH=$PWD, so that the coordinator is this checkout's too);
# the dataset mirror (HOH_DATASET_MIRROR) feeds the training job.
# Each compare's JSON report (every pair's figures) goes to the folder CHECK_REPORTS names, if set.
set -uo pipefail
repo="$(pwd)"
scratch="$(mktemp -d)"
reports="${CHECK_REPORTS:-$scratch}"
mkdir -p "$reports"
load=
if [ "${CHECK_LOAD:-training}" != none ]; then
    ( while true; do hoh-run experiments/quick.toml training.progress=none experiment.output="$scratch/load-runs" \
        > /dev/null 2>&1; done ) &
    load=$!
fi
trap '[ -n "$load" ] && kill $load 2>/dev/null; pkill -f "experiment.output=$scratch/load-runs"; rm -rf "$scratch"' EXIT
for i in 1 2 3 4 5; do
    echo "== self-compare $i, load $(cut -d' ' -f1-3 /proc/loadavg)"
    hoh bench compare HEAD --quick --ci --json "$reports/self-$i.json" | grep -v "^round\|^setting"
    echo "exit ${PIPESTATUS[0]} (expected 0)"
done
for injection in pipeline callback model wait; do
    git clone -q "$repo" "$scratch/$injection" || exit 1
    python benchmarks/inject_regressions.py "$injection" "$scratch/$injection" || exit 1
    echo "== injected $injection, load $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd "$scratch/$injection" && hoh bench compare HEAD --quick --ci --json "$reports/$injection.json" | grep -v "^round\|^setting"; echo "exit ${PIPESTATUS[0]} (expected 1)")
done
