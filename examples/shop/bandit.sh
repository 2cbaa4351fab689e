#!/usr/bin/env bash
# Seed 000's bandit, against a running `switchyard up` (npm start in another
# terminal): three banner models behind one VirtualService route, clicks posted
# through the feedback API, traffic moved toward the arm that earns the most
# and the best arm promoted.
# Usage: examples/shop/bandit.sh [DATA_DIR] [GATEWAY]   (defaults: .switchyard, 127.0.0.1:8080)
# The simulated users click arm-a's banners 4 % of the time, arm-b's 6 % and arm-c's 9 %.
set -euo pipefail
cd "$(dirname "$0")"
DATA_DIR=${1:-../../.switchyard}
GATEWAY=${2:-127.0.0.1:8080}
RPS=${SHOP_RPS:-150}
export KUBECONFIG="$DATA_DIR/kubeconfig"
K="kubectl -n shop"
SWITCHYARD="node ../../bin/switchyard.js"   # reads $KUBECONFIG

echo "== 1. three banner models behind one route"
kubectl apply -f 00-namespace.yaml
$K apply -f 30-arms.yaml
$K wait --for=condition=Ready isvc/arm-a isvc/arm-b isvc/arm-c --timeout=120s
$SWITCHYARD lint 40-bandit.yaml --rps "$RPS"

echo "== 2. users, and the shop posting their clicks"
TOKEN=$($SWITCHYARD token create --role feedback --name "banner-frontend-$(date +%s)")
node shoppers.mjs --gateway "$GATEWAY" --host banner.shop.example.com --model banner --token "$TOKEN" \
  --per request --ones-only --metric click --rate arm-a=0.04 --rate arm-b=0.06 --rate arm-c=0.09 --rps "$RPS" --seconds 1800 &
LOAD=$!
trap 'kill $LOAD 2>/dev/null || true' EXIT

echo "== 3. the bandit, to its best arm"
$K apply -f 40-bandit.yaml
until phase=$($K get tp banner-bandit -o jsonpath='{.status.phase}') && [[ $phase =~ ^(Promoted|RolledBack|Aborted|Paused)$ ]]; do
  $SWITCHYARD plan status banner-bandit -n shop | grep '^Phase:'
  sleep 10
done
$SWITCHYARD plan report banner-bandit -n shop
$K get virtualservice banner -o jsonpath='{range .spec.http[0].route[*]}{.destination.host}{" "}{.weight}{"\n"}{end}'
echo "phase: $phase"
