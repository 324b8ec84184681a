"""Every DVC stage depends on the code it runs, so a code change re-runs it."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
PACKAGES = ("pipeline", "report", "dashboard")


def _imported_files(module: str) -> list[str]:
    """The project's source files a fresh interpreter loads to import ``module``."""
    code = (f"import sys, {module}; print('\\n'.join(m.__file__ for n, m in sys.modules.items() "
            f"if n.split('.')[0] in {PACKAGES!r} and getattr(m, '__file__', None)))")
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    return sorted(Path(line).relative_to(ROOT).as_posix() for line in output.split())


def _covered(path: str, deps: list[str]) -> bool:
    return any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)


@pytest.mark.parametrize("stage", sorted(name for name, stage in STAGES.items()
                                         if stage["cmd"].startswith("python -m ")))
def test_a_stage_depends_on_every_project_module_it_imports(stage):
    module = STAGES[stage]["cmd"].split()[2]
    deps = [dep if isinstance(dep, str) else next(iter(dep)) for dep in STAGES[stage]["deps"]]
    missing = [path for path in _imported_files(module)
               if not _covered(path, deps) and not path.endswith("__init__.py")]
    assert not missing, f"dvc.yaml stage {stage!r} lacks deps: {missing}"
