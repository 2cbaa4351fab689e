"""Shared parts of Switchyard's KServe-SDK model servers.

Each server is a kserve.Model subclass started by kserve.ModelServer, with
KServe's own command-line arguments (--model_name, --model_dir, --http_port,
...), so it behaves like KServe's sklearnserver, xgbserver and lgbserver: the
same model files, the same V1 and V2 protocols. The model directory is already
local (Switchyard's storage initializer fetched it).
"""
import argparse
import os
from typing import Tuple

import kserve
from kserve.errors import ModelMissingError


def parse_args(extra_nthread: bool = False) -> argparse.Namespace:
    """KServe's model-server arguments plus --model_dir (and --nthread for boosters)."""
    parser = argparse.ArgumentParser(parents=[kserve.model_server.parser])
    parser.add_argument("--model_dir", required=True, help="local directory holding the model file")
    if extra_nthread:
        parser.add_argument("--nthread", default=1, type=int, help="threads the booster predicts with")
    args, _ = parser.parse_known_args()
    return args


def single_model_file(model_dir: str, extensions: Tuple[str, ...]) -> str:
    """The one file in model_dir with one of these extensions; KServe refuses zero or several."""
    found = sorted(
        os.path.join(model_dir, name)
        for name in os.listdir(model_dir)
        if name.endswith(extensions) and os.path.isfile(os.path.join(model_dir, name))
    )
    if not found:
        raise ModelMissingError(model_dir)
    if len(found) > 1:
        raise RuntimeError(f"More than one model file is detected, only one is allowed within model_dir: {found}")
    return found[0]


def serve(model: kserve.Model) -> None:
    """Load, then serve; a model that cannot load ends the process (the supervisor shows the crash)."""
    model.load()
    kserve.ModelServer().start([model])
