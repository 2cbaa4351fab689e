"""kserve-lgbserver: a LightGBM booster (.bst) over KServe V1 and V2."""
from typing import Dict, Union

import kserve
from kserve.errors import InferenceError
from kserve.protocol.infer_type import InferRequest, InferResponse
from kserve.utils.utils import get_predict_input, get_predict_response
from lightgbm import Booster

from common import parse_args, serve, single_model_file


class LightGBMModel(kserve.Model):
    def __init__(self, name: str, model_dir: str, nthread: int):
        super().__init__(name)
        self.model_dir = model_dir
        self.nthread = nthread
        self.ready = False

    def load(self) -> bool:
        self._booster = Booster(params={"nthread": self.nthread}, model_file=single_model_file(self.model_dir, (".bst",)))
        self.ready = True
        return self.ready

    def predict(self, payload: Union[Dict, InferRequest], headers: Dict[str, str] = None) -> Union[Dict, InferResponse]:
        try:
            # Named features when the request sends records (V1 dicts, V2 pandas content type).
            instances = get_predict_input(payload, columns=self._booster.feature_name())
            return get_predict_response(payload, self._booster.predict(instances), self.name)
        except Exception as e:
            raise InferenceError(str(e))


if __name__ == "__main__":
    args = parse_args(extra_nthread=True)
    serve(LightGBMModel(args.model_name, args.model_dir, args.nthread))
