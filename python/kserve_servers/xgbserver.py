"""kserve-xgbserver: an XGBoost booster (.bst, .json or .ubj) over KServe V1 and V2."""
from typing import Dict, Union

import kserve
import xgboost as xgb
from kserve.errors import InferenceError
from kserve.protocol.infer_type import InferRequest, InferResponse
from kserve.utils.utils import get_predict_input, get_predict_response

from common import parse_args, serve, single_model_file

EXTENSIONS = (".bst", ".json", ".ubj")


class XGBoostModel(kserve.Model):
    def __init__(self, name: str, model_dir: str, nthread: int):
        super().__init__(name)
        self.model_dir = model_dir
        self.nthread = nthread
        self.ready = False

    def load(self) -> bool:
        with open(single_model_file(self.model_dir, EXTENSIONS), "rb") as f:
            self._booster = xgb.Booster(params={"nthread": self.nthread}, model_file=bytearray(f.read()))
        self.ready = True
        return self.ready

    def predict(self, payload: Union[Dict, InferRequest], headers: Dict[str, str] = None) -> Union[Dict, InferResponse]:
        try:
            matrix = xgb.DMatrix(get_predict_input(payload), nthread=self.nthread)
            return get_predict_response(payload, self._booster.predict(matrix), self.name)
        except Exception as e:
            raise InferenceError(str(e))


if __name__ == "__main__":
    args = parse_args(extra_nthread=True)
    serve(XGBoostModel(args.model_name, args.model_dir, args.nthread))
