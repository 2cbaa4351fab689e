#!/usr/bin/env bash
# The KServe canary story against a running `switchyard up` (npm start):
# v1 serving, v2 at 10 % with the split observed, tag hosts, rollback with 0,
# promotion by removing the field, and rollback after promotion.
# Usage: examples/canary/run.sh [DATA_DIR] [GATEWAY]   (defaults: .switchyard, 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")"
DATA_DIR=${1:-../../.switchyard}
GATEWAY=${2:-127.0.0.1:8080}
export KUBECONFIG="$DATA_DIR/kubeconfig"
K="kubectl -n quickstart"
HOST=iris-canary.quickstart.example.com
ROW='{"instances": [[6.8, 2.8, 4.8, 1.4]]}'   # v1 answers 1 (versicolor); v2 always 0 (setosa)

predict_counts() { # N [HOST]
  for _ in $(seq "$1"); do
    curl -s -H "Host: ${2:-$HOST}" "http://$GATEWAY/v1/models/iris-canary:predict" -d "$ROW"; echo
  done | sort | uniq -c
}
settle() { sleep 2; $K get isvc iris-canary; }

echo "== 1. v1 serving"
# Start from scratch (npm start's demo leaves an iris-canary behind).
$K delete isvc iris-canary --ignore-not-found
$K apply -f iris-v1.yaml
$K wait --for=condition=Ready isvc/iris-canary --timeout=90s
settle
predict_counts 20

echo "== 2. v2 at 10 % (canaryTrafficPercent: 10)"
ready() { $K get isvc iris-canary -o jsonpath='{.status.components.predictor.latestReadyRevision}'; }
V1=$(ready)
$K apply -f iris-v2-canary.yaml
until [ "$(ready)" != "$V1" ]; do sleep 1; done
settle
echo "-- 200 requests: about 10 % answer 0 (v2)"
predict_counts 200
echo "-- tag hosts pin a revision"
predict_counts 5 latest-iris-canary-predictor.quickstart.example.com
predict_counts 5 prev-iris-canary-predictor.quickstart.example.com

echo "== 3. rollback: canaryTrafficPercent 0 pins all traffic to prev"
$K patch isvc iris-canary --type merge -p '{"spec":{"predictor":{"canaryTrafficPercent":0}}}'
settle
predict_counts 20

echo "== 4. promote: remove canaryTrafficPercent"
$K patch isvc iris-canary --type json -p '[{"op":"remove","path":"/spec/predictor/canaryTrafficPercent"}]'
settle
predict_counts 20
$K get isvc iris-canary -o jsonpath='{.status.components.predictor.previousRolledoutRevision}{"\n"}'

echo "== 5. rollback after promotion: 0 restores the previous rolled-out revision"
$K patch isvc iris-canary --type merge -p '{"spec":{"predictor":{"canaryTrafficPercent":0}}}'
settle
predict_counts 20
$K get pods -l serving.kserve.io/inferenceservice=iris-canary
