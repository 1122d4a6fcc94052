#!/usr/bin/env bash
# Show that CI's gate catches a slowdown split over several commits (README, "Benchmarks"):
# on a scratch clone, accept HEAD, then commit the `creep` injection three times (each ~1.1x
# of the runner's fit, under CI's 25 % threshold). Each commit against its parent passes;
# the submission against the accepted revision, as CI compares it, fails.
# Run from the repository root with the venv active.
set -uo pipefail
repo="$(pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
workload="runner fit, default callbacks"
git clone -q "$repo" "$scratch/creep"
cd "$scratch/creep" || exit 1
git config user.email bench@example.com && git config user.name bench
hoh bench accept HEAD --reason "creeping check: the base" && git commit -qam "accept the base"
for step in 1 2 3; do
    python "$repo/benchmarks/inject_regressions.py" creep . > /dev/null && git commit -qam "creep $step"
    echo "== commit $step against its parent, load $(cut -d' ' -f1-3 /proc/loadavg)"
    hoh bench compare HEAD~1 HEAD --quick --only "$workload" --threshold 25 | grep -v "^round\|^setting"
    echo "exit ${PIPESTATUS[0]}"
done
echo "== the three commits against the accepted revision (CI's gate), load $(cut -d' ' -f1-3 /proc/loadavg)"
hoh bench compare accepted HEAD --quick --only "$workload" --threshold 25 | grep -v "^round\|^setting"
echo "exit ${PIPESTATUS[0]}"
