"""Step 4, with a bucket instead of a PVC: put models/*/model.joblib into
s3://sklearn-models/ on the endpoint in AWS_ENDPOINT_URL."""
from pathlib import Path

import boto3

BUCKET = "sklearn-models"


def main() -> None:
    s3 = boto3.client("s3")
    if BUCKET not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
        s3.create_bucket(Bucket=BUCKET)
    for path in sorted(Path("models").glob("*/model.joblib")):
        key = f"{path.parent.name}/{path.name}"
        s3.upload_file(str(path), BUCKET, key)
        print(f"s3://{BUCKET}/{key}")


if __name__ == "__main__":
    main()
