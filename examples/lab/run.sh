#!/usr/bin/env bash
# Steps 5-7 of the seed lab ("Canary, Shadow, and Cohort Routing"), run
# against a local `switchyard up` instead of a kind cluster. The only changes:
# the ingress host/port, and ONNX constant classifiers (class 0, 1, 2) in
# place of the scikit-learn DummyClassifiers.
# Usage: examples/lab/run.sh [DATA_DIR] [GATEWAY]   (defaults: .switchyard, 127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")"
DATA_DIR=$(cd "${1:-../../.switchyard}" && pwd)
GATEWAY=${2:-127.0.0.1:8080}
INGRESS_HOST=${GATEWAY%:*}
INGRESS_PORT=${GATEWAY##*:}
export KUBECONFIG="$DATA_DIR/kubeconfig"
N=${LAB_REQUESTS:-1000}

# Step 3-4 equivalent: the three constant models on the "sklearn-models" volume (pvc://sklearn-models/...).
for pair in model-v1:const-setosa model-v2:const-versicolor model-v3:const-virginica; do
  mkdir -p "$DATA_DIR/volumes/sklearn-models/${pair%%:*}"
  cp "../models/${pair##*:}/model.onnx" "$DATA_DIR/volumes/sklearn-models/${pair%%:*}/model.onnx"
done
kubectl get namespace ml-serving >/dev/null 2>&1 || kubectl create namespace ml-serving

count_predictions() {
  for _ in $(seq 1 "$1"); do
    curl -sS -H "Host: ${SERVICE_HOSTNAME}" -H "Content-Type: application/json" \
      "http://${INGRESS_HOST}:${INGRESS_PORT}/v1/models/churn-router:predict" -d @input.json | jq -r '.predictions[0]'
  done | sort | uniq -c
}

echo "== Step 5: deploy model v1 through KServe"
kubectl apply -f isvc-v1.yaml
kubectl wait --for=condition=Ready inferenceservice/churn-router -n ml-serving --timeout=300s
export SERVICE_HOSTNAME=$(kubectl get inferenceservice churn-router -n ml-serving -o jsonpath='{.status.url}' | cut -d "/" -f 3)
cat > input.json <<'JSON'
{"instances":[[0.1,0.2,0.3,0.4]]}
JSON
curl -sS -H "Host: ${SERVICE_HOSTNAME}" -H "Content-Type: application/json" \
  "http://${INGRESS_HOST}:${INGRESS_PORT}/v1/models/churn-router:predict" -d @input.json
echo

echo "== Step 6: deploy model v2 as a 10 percent canary"
kubectl apply -f isvc-v2-canary.yaml
kubectl wait --for=condition=Ready inferenceservice/churn-router -n ml-serving --timeout=300s
kubectl get inferenceservice churn-router -n ml-serving
echo "-- $N requests: roughly 90 % from v1 (0) and 10 % from v2 (1)"
count_predictions "$N"

echo "== Step 7: promote to half traffic, full traffic, then v2 only"
kubectl patch inferenceservice churn-router -n ml-serving --type merge -p '{"spec":{"predictor":{"canaryTrafficPercent":50}}}'
kubectl wait --for=condition=Ready inferenceservice/churn-router -n ml-serving --timeout=300s
kubectl get inferenceservice churn-router -n ml-serving
kubectl patch inferenceservice churn-router -n ml-serving --type merge -p '{"spec":{"predictor":{"canaryTrafficPercent":100}}}'
kubectl wait --for=condition=Ready inferenceservice/churn-router -n ml-serving --timeout=300s
kubectl get inferenceservice churn-router -n ml-serving
kubectl apply -f isvc-v2-promoted.yaml
kubectl wait --for=condition=Ready inferenceservice/churn-router -n ml-serving --timeout=300s
kubectl get inferenceservice churn-router -n ml-serving
kubectl get pods -n ml-serving
rm -f input.json
