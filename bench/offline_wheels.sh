#!/usr/bin/env bash
# Wheels to run `python -m bench` (and the pipeline) on an offline x86-64 Linux GPU machine
# whose Python already has PyTorch, Lightning and the scientific stack (numpy, pandas,
# scipy, scikit-learn, psutil, PyYAML, nvidia-ml-py, rich, typer, jaxtyping, wrapt,
# colorama, requests, attrs, networkx, fsspec, pathspec): a cluster or vendor GPU image.
# Downloads, here, the rest at the versions this checkout's .venv holds (the ones CI
# tested) into DIR (default .whl). About 58 MB, 53 of them SimpleITK.
#
#   bash bench/offline_wheels.sh [DIR] [PYTHON_VERSION]      # default .whl 3.12
#   # on the GPU machine, from the repository root:
#   python3 -m pip install --no-index --no-deps --target /tmp/site .whl/*.whl
#   PYTHONPATH=/tmp/site python3 -m bench --only gpu loop stages
#
# Checked with Python 3.12 and torch 2.11 with only the packages above installed: these
# wheels were enough to import every stage and the bench, open DVCLive, and pass
# tests/test_bench.py, test_fit.py, test_data.py and test_fold_cache.py. Since then the
# stages of the radiomics arm (baselines, learning_curve, power) import PyRadiomics,
# which PyPI has as source only: for those stages, `pip wheel --no-deps
# pyradiomics-bhklab==3.1.4 PyWavelets pykwalify docopt six` where a C compiler is.
# `python -m bench.gpu`, `bench.loop` and `bench.stages` never import it; `bench.make_run`
# runs the whole pipeline, so it does.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.whl}
python_version=${2:-3.12}
[ -x .venv/bin/python ] || { echo "run make install first: versions come from .venv" >&2; exit 1; }

packages=(
  monai torchio SimpleITK nibabel Deprecated                      # imaging
  dvclive dvc dvc-render dvc-studio-client dvc-data dvc-objects    # DVCLive opens the DVC repo
  dvc-http scmrepo dulwich pygtrie sqltrie diskcache dpath funcy flatten-dict voluptuous
  ruamel.yaml flufl.lock atpublic zc.lockfile platformdirs configobj
  rebalancedcv                                                     # the folds (pipeline.crossval.splits)
)
pins=()
for package in "${packages[@]}"; do
  pins+=("$package==$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('$package'))")")
done
python3 -m pip download --no-deps --only-binary=:all: --implementation cp \
  --python-version "$python_version" --platform manylinux_2_28_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$dir" "${pins[@]}"
echo "wheels in $dir: $(du -sh "$dir" | cut -f1)"
