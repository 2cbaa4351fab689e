#!/usr/bin/env bash
# Header cohorts with a safe default route and a sampled shadow mirror,
# against a running `switchyard up` (npm start in another terminal).
# Usage: examples/cohorts/run.sh [DATA_DIR] [GATEWAY]   (defaults: .switchyard, 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")"
DATA_DIR=${1:-../../.switchyard}
GATEWAY=${2:-127.0.0.1:8080}
export KUBECONFIG="$DATA_DIR/kubeconfig"
K="kubectl -n cohorts"
HOST=iris.cohorts.example.com
ROW='{"instances": [[6.8, 2.8, 4.8, 1.4]]}'
SWITCHYARD="node ../../bin/switchyard.js"   # reads $KUBECONFIG

predict() { # TIER  → prints "route revision answer"
  curl -s -D - -o /tmp/cohorts-body -H "Host: $HOST" -H "x-tier: $1" "http://$GATEWAY/v1/models/iris:predict" -d "$ROW" \
    | tr -d '\r' | awk -F': ' '/^x-switchyard-route/{r=$2} /^x-switchyard-revision/{v=$2} END{printf "%s %s ", r, v}'
  cat /tmp/cohorts-body; echo
}

echo "== 1. three models and the VirtualService"
kubectl apply -f 00-namespace.yaml
$K apply -f 10-models.yaml
$K wait --for=condition=Ready isvc/iris-v1 isvc/iris-v2 isvc/iris-shadow --timeout=120s
$K apply -f 20-virtualservice.yaml
$K get vs iris
sleep 1

echo "== 2. the gold cohort gets v2; every other tier (and no tier) gets the safe default v1"
for tier in gold silver bronze ""; do printf '%-8s ' "${tier:-<none>}"; predict "$tier"; done

echo "== 3. 200 default-route requests: the client only ever sees v1's answers"
for _ in $(seq 200); do predict silver; done | sort | uniq -c

echo "== 4. about 25 % of them were mirrored to iris-shadow: primary/shadow pairs by request id"
sleep 2   # the prediction log is written in batches, off the request path
$SWITCHYARD predictions -n cohorts --service iris-v1 --paired --since 5m --limit 3
printf -- '-- default-route requests logged: '
$SWITCHYARD predictions -n cohorts --service iris-v1 --since 5m --limit 10000 | grep -c ' primary ' || true
printf -- '-- of them with a shadow answer:   '
$SWITCHYARD predictions -n cohorts --service iris-v1 --paired --since 5m --limit 10000 | grep -c ' mirror ' || true

echo "== 5. mirror telemetry (role=\"mirror\") and dropped copies on the gateway's /metrics"
curl -s "http://$GATEWAY/metrics" | grep -E 'switchyard_requests_total\{.*service="iris-(v1|shadow)"|switchyard_mirror' | head -10
