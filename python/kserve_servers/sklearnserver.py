"""kserve-sklearnserver: a scikit-learn model (.joblib, .pkl or .pickle) over KServe V1 and V2.

As KServe's sklearnserver: PREDICT_PROBA=true answers predict_proba instead of predict.
"""
import os
from typing import Dict, Union

import joblib
import kserve
from kserve.errors import InferenceError
from kserve.protocol.infer_type import InferRequest, InferResponse
from kserve.utils.utils import get_predict_input, get_predict_response

from common import parse_args, serve, single_model_file

EXTENSIONS = (".joblib", ".pkl", ".pickle")


class SKLearnModel(kserve.Model):
    def __init__(self, name: str, model_dir: str):
        super().__init__(name)
        self.model_dir = model_dir
        self.ready = False

    def load(self) -> bool:
        self._model = joblib.load(single_model_file(self.model_dir, EXTENSIONS))
        self.ready = True
        return self.ready

    def predict(self, payload: Union[Dict, InferRequest], headers: Dict[str, str] = None) -> Union[Dict, InferResponse]:
        try:
            instances = get_predict_input(payload)
            proba = os.environ.get("PREDICT_PROBA", "false").lower() == "true" and hasattr(self._model, "predict_proba")
            result = self._model.predict_proba(instances) if proba else self._model.predict(instances)
            return get_predict_response(payload, result, self.name)
        except Exception as e:
            raise InferenceError(str(e))


if __name__ == "__main__":
    args = parse_args()
    serve(SKLearnModel(args.model_name, args.model_dir))
