#!/usr/bin/env bash
# Steps 3-7 of the seed lab ("Canary, Shadow, and Cohort Routing"), run
# against a local `switchyard up` instead of a kind cluster, with the lab's
# own manifests (modelFormat sklearn, runtime kserve-sklearnserver). The only
# changes: the ingress host/port, and an S3 bucket (moto's S3-compatible
# server, started here on a loopback port) in place of the PVC and copy pod.
# Usage: examples/lab/run.sh [DATA_DIR] [GATEWAY]   (defaults: .switchyard, 127.0.0.1:8080)
#   LAB_REQUESTS   requests for the split count (default 1000, as in the lab)
set -euo pipefail
cd "$(dirname "$0")"
DATA_DIR=$(cd "${1:-../../.switchyard}" && pwd)
GATEWAY=${2:-127.0.0.1:8080}
INGRESS_HOST=${GATEWAY%:*}
INGRESS_PORT=${GATEWAY##*:}
export KUBECONFIG="$DATA_DIR/kubeconfig"
N=${LAB_REQUESTS:-1000}

echo "== Step 3: build three tiny scikit-learn model artifacts"
VENV=$(./venv.sh)
"$VENV/bin/python" train_models.py
find models -name model.joblib -print

echo "== Step 4: a bucket for the artifacts (S3-compatible server on loopback)"
S3_PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" > moto.log 2>&1 &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true; rm -f input.json moto.log' EXIT
until curl -sf "http://127.0.0.1:$S3_PORT/moto-api/data.json" >/dev/null; do sleep 0.2; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$S3_PORT" AWS_ACCESS_KEY_ID=lab-access-key AWS_SECRET_ACCESS_KEY=lab-secret-key AWS_DEFAULT_REGION=us-east-1
"$VENV/bin/python" upload_models.py
kubectl get namespace ml-serving >/dev/null 2>&1 || kubectl create namespace ml-serving
# KServe's S3 credentials: a Secret with the keys and the endpoint annotations, listed by the
# namespace's default ServiceAccount (the one an InferenceService without serviceAccountName uses).
kubectl apply -f - <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: s3creds
  namespace: ml-serving
  annotations:
    serving.kserve.io/s3-endpoint: 127.0.0.1:$S3_PORT
    serving.kserve.io/s3-usehttps: "0"
    serving.kserve.io/s3-region: us-east-1
type: Opaque
stringData:
  AWS_ACCESS_KEY_ID: $AWS_ACCESS_KEY_ID
  AWS_SECRET_ACCESS_KEY: $AWS_SECRET_ACCESS_KEY
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: default
  namespace: ml-serving
secrets:
- name: s3creds
YAML

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
