#!/usr/bin/env bash
# Show that CI's gate catches a slowdown split over several commits (docs/contributing/benchmarks.md):
# on a scratch clone, accept HEAD, then commit the `creep` injection three times (each ~1.1x
# of the runner's fit, under CI's 25 % threshold). Each commit against its parent should pass;
# the three against the accepted revision, as CI compares them, should fail. Exits 0 when
# that is what happened, 1 otherwise. Run from the repository root with the venv active.
set -uo pipefail
repo="$(pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
workload="runner fit, default callbacks"
git clone -q "$repo" "$scratch/creep" || exit 1
cd "$scratch/creep" || exit 1
git config user.email bench@example.com && git config user.name bench || exit 1
hoh bench accept HEAD --reason "creeping check: the base" && git commit -qam "accept the base" || exit 1
expected=0
for step in 1 2 3; do
    python "$repo/benchmarks/inject_regressions.py" creep . > /dev/null && git commit -qam "creep $step" || exit 1
    echo "== commit $step against its parent, load $(cut -d' ' -f1-3 /proc/loadavg)"
    hoh bench compare HEAD~1 HEAD --quick --only "$workload" --threshold 25 | grep -v "^round\|^setting"
    status=${PIPESTATUS[0]}
    echo "exit $status (expected 0)"
    [ "$status" -eq 0 ] || expected=1
done
echo "== the three commits against the accepted revision (CI's gate), load $(cut -d' ' -f1-3 /proc/loadavg)"
hoh bench compare accepted HEAD --quick --only "$workload" --threshold 25 | grep -v "^round\|^setting"
status=${PIPESTATUS[0]}
echo "exit $status (expected 1)"
[ "$status" -eq 1 ] || expected=1
exit $expected
