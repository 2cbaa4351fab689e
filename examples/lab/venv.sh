#!/usr/bin/env bash
# The lab's Python virtual environment (the seed lab's ".venv"): created from
# requirements.txt on first use, then reused. It lives outside the checkout,
# keyed by the requirements file's hash, so reruns and test runs share it.
# Prints the environment's directory on stdout (progress goes to stderr).
#   SWITCHYARD_LAB_VENV_DIR  where environments live (default ~/.cache/switchyard)
#   SWITCHYARD_PYTHON        interpreter to create it with (default python3; 3.11+)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
requirements="$here/requirements.txt"
root=${SWITCHYARD_LAB_VENV_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}
venv="$root/lab-$(sha256sum "$requirements" | cut -c1-12)"
mkdir -p "$root"
exec 9>"$venv.lock"
flock 9
if [ ! -f "$venv/.switchyard-complete" ]; then
  rm -rf "$venv"
  echo "creating the lab environment in $venv (pip install -r examples/lab/requirements.txt)" >&2
  "${SWITCHYARD_PYTHON:-python3}" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --no-deps --disable-pip-version-check --progress-bar off -q -r "$requirements" >&2
  touch "$venv/.switchyard-complete"
fi
echo "$venv"
