#!/usr/bin/env bash
# Seed 000's ranking example: shadow with paired checks, then a canary that
# keeps the protected cohort (premium sellers) on the baseline, against a
# running `switchyard up` (npm start in another terminal).
# Usage: examples/ranking/run.sh [DATA_DIR] [GATEWAY]   (defaults: .switchyard, 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")"
DATA_DIR=${1:-../../.switchyard}
GATEWAY=${2:-127.0.0.1:8080}
RPS=${RANKING_RPS:-150}
export KUBECONFIG="$DATA_DIR/kubeconfig"
K="kubectl -n search"
SWITCHYARD="node ../../bin/switchyard.js"   # reads $KUBECONFIG

echo "== 1. the ranker in production"
kubectl apply -f 00-namespace.yaml
$K apply -f 10-ranker.yaml
$K wait --for=condition=Ready isvc/ranker --timeout=120s

echo "== 2. lint and price the plan before applying it"
$SWITCHYARD lint 20-plan.yaml --rps "$RPS"
$SWITCHYARD plan cost 20-plan.yaml --rps "$RPS" | sed -n '6,12p'

echo "== 3. search traffic, and the plan: shadow first"
node load.mjs "$GATEWAY" "$RPS" 900 > /tmp/ranking-load.log &
LOAD=$!
trap 'kill $LOAD 2>/dev/null || true' EXIT
$K apply -f 20-plan.yaml
$K wait --for=jsonpath='{.status.phaseIndex}'=1 tp/ranker-v2 --timeout=600s || true
$SWITCHYARD plan status ranker-v2 -n search | sed -n '1,40p'

echo "== 4. the canary on non-premium traffic, to promotion"
$K wait --for=jsonpath='{.status.phase}'=Promoted tp/ranker-v2 --timeout=900s || true
$SWITCHYARD plan status ranker-v2 -n search | sed -n '1,12p'
$SWITCHYARD audit log | grep 'trafficplans/search/ranker-v2' | tail -8
test "$($K get tp ranker-v2 -o jsonpath='{.status.phase}')" = Promoted
