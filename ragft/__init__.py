"""ragft: the helper package of the course "RAG vs Fine-Tuning, measured".

It holds what several notebooks reuse after a notebook has taught it: data loading, model
resolution, metrics, exercise checks and plotting. Read any function's docstring with ``?``.
"""
import warnings

# Libraries import tqdm.auto, which warns when ipywidgets is missing and then draws text progress
# bars, which work the same in JupyterLab, Colab and a terminal. The course needs no widgets.
warnings.filterwarnings("ignore", message="IProgress not found")
# ranx's numba kernels cast document counts from uint64 to int64 (NumbaTypeSafetyWarning); the counts are tiny, so
# nothing is lost, and the warning would only bury the notebooks' output.
warnings.filterwarnings("ignore", message=".*unsafe cast from uint64 to int64")

from .data import QUESTION_TYPES, load_eval_set, load_finetune_set
from .kb import DataError, Document, load_knowledge_base
from .paths import COURSE_ROOT, DATA_DIR, results_dir
from .profiles import PROFILES, settings_for

# The model functions load on first use, not on `import ragft`: `python -m ragft.models` imports the package first,
# and a package that had already imported ragft.models would make Python warn (RuntimeWarning) on every such command.
_FROM_MODELS = ("ModelLoadError", "ModelNotFoundError", "load_embedder", "load_generator", "resolve_model")


def __getattr__(name):
    if name in _FROM_MODELS:
        from . import models

        return getattr(models, name)
    raise AttributeError(f"module 'ragft' has no attribute {name!r}")

__all__ = [
    "COURSE_ROOT", "DATA_DIR", "DataError", "Document", "ModelLoadError", "ModelNotFoundError", "PROFILES", "QUESTION_TYPES",
    "load_embedder", "load_eval_set", "load_finetune_set", "load_generator", "load_knowledge_base",
    "resolve_model", "results_dir", "settings_for",
]
