"""Every DVC stage depends on exactly the code it runs, and no stage runs another's code."""

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
STAGES = {name: stage for dvc_yaml in ("dvc.yaml", "power/dvc.yaml")
          for name, stage in yaml.safe_load((ROOT / dvc_yaml).read_text())["stages"].items()}
PYTHON_STAGES = sorted(name for name, stage in STAGES.items() if stage["cmd"].startswith("python -m "))
PACKAGES = ("pipeline", "report", "dashboard")
# Imported inside a function, so importing the stage's modules does not load them.
LAZY = {"pipeline/power/inverse_power_law.py"}  # by pipeline.presentation.figures, for the learning-curve figure
# Imported inside a stage's function, so that a run with nothing for them to do skips
# their libraries' start-up; the stage runs them otherwise, so they count as its code.
LAZY_IMPORTS = {"external": ["pipeline.final.scoring", "pipeline.preprocessing.cohort"]}


def _imported_files(modules: list[str]) -> list[str]:
    """The project's source files a fresh interpreter loads to import ``modules``."""
    code = (f"import sys, {', '.join(modules)}; print('\\n'.join(m.__file__ for n, m in sys.modules.items() "
            f"if n.split('.')[0] in {PACKAGES!r} and getattr(m, '__file__', None)))")
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    return sorted(Path(line).relative_to(ROOT).as_posix() for line in output.split())


def _covered(path: str, deps: list[str]) -> bool:
    return any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)


def _code_deps(stage: str) -> list[str]:
    """The stage's deps that are project code: modules and packages, not data or outputs."""
    deps = [dep if isinstance(dep, str) else next(iter(dep)) for dep in STAGES[stage]["deps"]]
    return [dep for dep in deps if dep.split("/")[0] in PACKAGES and dep not in LAZY
            and (dep.endswith(".py") and not dep.endswith("__init__.py") or (ROOT / dep).is_dir())]


def _report_imports() -> list[str]:
    """The project modules the report's cells import: the report stage runs them too."""
    modules = []
    for line in (ROOT / "report/report.qmd").read_text().splitlines():
        found = re.match(r"from ((?:pipeline|report)[\w.]*) import (.+)", line)
        if found:
            package, names = found.groups()
            modules += [f"{package}.{name.strip()}" if package in PACKAGES else package
                        for name in names.split(",")]
    return modules


@functools.cache
def _stage_files(stage: str) -> list[str]:
    modules = [STAGES[stage]["cmd"].split()[2], *LAZY_IMPORTS.get(stage, [])]
    if modules == ["report.render"]:
        modules += _report_imports()
    return [path for path in _imported_files(modules) if not path.endswith("__init__.py")]


@pytest.mark.parametrize("stage", PYTHON_STAGES)
def test_a_stage_depends_on_every_project_module_it_imports(stage):
    deps = [dep if isinstance(dep, str) else next(iter(dep)) for dep in STAGES[stage]["deps"]]
    missing = [path for path in _stage_files(stage) if not _covered(path, deps)]
    assert not missing, f"dvc.yaml stage {stage!r} lacks deps: {missing}"


@pytest.mark.parametrize("stage", PYTHON_STAGES)
def test_a_stage_depends_on_no_code_it_does_not_run(stage):
    # An extra code dep re-runs the stage (for LOOCV: every model) when unrelated code changes.
    imported = _stage_files(stage)
    extra = [dep for dep in _code_deps(stage) if not any(_covered(path, [dep]) for path in imported)]
    assert not extra, f"dvc.yaml stage {stage!r} depends on code it does not run: {extra}"


@pytest.mark.parametrize("stage", PYTHON_STAGES)
def test_no_stage_imports_another_stage(stage):
    own = STAGES[stage]["cmd"].split()[2].replace(".", "/") + ".py"
    others = [path for path in _stage_files(stage)
              if path.startswith("pipeline/stages/") and path != own]
    assert not others, f"stage {stage!r} imports other stages: {others}"


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_stage_lists_at_most_ten_deps(stage):
    # Code by folder keeps each list short enough to check by eye.
    assert len(STAGES[stage]["deps"]) <= 10, f"{stage}: {len(STAGES[stage]['deps'])} deps"


@pytest.mark.parametrize("stage", [name for name in PYTHON_STAGES
                                   if "pipeline/crossval/fold_jobs.py" in _stage_files(name)])
def test_a_stage_training_folds_depends_on_the_code_its_fold_key_hashes(stage):
    from pipeline.crossval.fold_jobs import TRAINING_CODE

    deps = [dep if isinstance(dep, str) else next(iter(dep)) for dep in STAGES[stage]["deps"]]
    assert {f"pipeline/{package}" for package in TRAINING_CODE} <= set(deps)
