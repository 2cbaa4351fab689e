#!/usr/bin/env bash
# Seed 000's A/B test on a business metric, against a running `switchyard up`
# (npm start in another terminal): sticky users, purchases posted through the
# feedback API, a test sized up front and decided at that size.
# Usage: examples/shop/abtest.sh [DATA_DIR] [GATEWAY]   (defaults: .switchyard, 127.0.0.1:8080)
# The simulated shop converts 10 % of the baseline's users and
# ${SHOP_CANDIDATE_RATE:-0.15} of the candidate's; set it to 0.10 to watch an
# A/A test end inconclusive (the baseline kept).
set -euo pipefail
cd "$(dirname "$0")"
DATA_DIR=${1:-../../.switchyard}
GATEWAY=${2:-127.0.0.1:8080}
RPS=${SHOP_RPS:-100}
export KUBECONFIG="$DATA_DIR/kubeconfig"
K="kubectl -n shop"
SWITCHYARD="node ../../bin/switchyard.js"   # reads $KUBECONFIG

echo "== 1. the recommender in production"
kubectl apply -f 00-namespace.yaml
$K apply -f 10-recommender.yaml
$K wait --for=condition=Ready isvc/recommender --timeout=120s

echo "== 2. how long the test takes at $RPS req/s, before starting it"
$SWITCHYARD lint 20-abtest.yaml --rps "$RPS"

echo "== 3. shoppers, and the shop posting their purchases"
TOKEN=$($SWITCHYARD token create --role feedback --name "shop-frontend-$(date +%s)")
node shoppers.mjs --gateway "$GATEWAY" --host recommender.shop.example.com --model recommender --token "$TOKEN" \
  --per user --metric purchase --rate prev=0.10 --rate "latest=${SHOP_CANDIDATE_RATE:-0.15}" --rps "$RPS" --seconds 1200 &
LOAD=$!
trap 'kill $LOAD 2>/dev/null || true' EXIT

echo "== 4. the A/B test, to its decision"
$K apply -f 20-abtest.yaml
$K wait --for=jsonpath='{.status.phase}'=Progressing tp/recommender-v2 --timeout=180s
until phase=$($K get tp recommender-v2 -o jsonpath='{.status.phase}') && [[ $phase =~ ^(Promoted|RolledBack|Aborted|Paused)$ ]]; do
  $SWITCHYARD plan status recommender-v2 -n shop | grep '^Phase:'
  sleep 10
done
$SWITCHYARD plan report recommender-v2 -n shop
$SWITCHYARD audit log | grep 'trafficplans/shop/recommender-v2' | tail -3
echo "phase: $phase"
