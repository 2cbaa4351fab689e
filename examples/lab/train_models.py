"""Step 3 of the seed lab: three tiny scikit-learn models, each answering one
class (0, 1, 2) whatever the input, so the canary split can be counted from
the predictions. Fitted on Fisher's iris (the copy scikit-learn ships)."""
from pathlib import Path

from joblib import dump
from sklearn.datasets import load_iris
from sklearn.dummy import DummyClassifier


def main() -> None:
    model_root = Path("models")
    features, labels = load_iris(return_X_y=True)
    constants = {"model-v1": 0, "model-v2": 1, "model-v3": 2}
    for name, constant in constants.items():
        classifier = DummyClassifier(strategy="constant", constant=constant)
        classifier.fit(features, labels)
        target = model_root / name
        target.mkdir(parents=True, exist_ok=True)
        dump(classifier, target / "model.joblib")


if __name__ == "__main__":
    main()
