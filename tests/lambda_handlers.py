"""The functions' handlers in the test process: one way to import them, one fake context.

``functions/<name>/`` is a package, imported as ``functions.<name>.app`` (pytest puts the
repository root on ``sys.path``: ``pythonpath`` in pyproject.toml); Lambda itself imports
``app`` from the function's folder, and the local cloud's bridge imports that file by path.
The context is the one the local cloud's Lambda bridge passes to the handlers
(:class:`bedrock_tuner_localcloud.bridge.LambdaContext`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = sorted(path.parent.name for path in (ROOT / "functions").glob("*/app.py"))
ACCOUNT = "123456789012"
REGION = "us-east-1"

Handler = Callable[[dict[str, Any], Any], Any]


def _module_name(name: str) -> str:
    return f"functions.{name}.app"


def handler_module(name: str) -> ModuleType:
    """``functions/<name>/app.py``, imported once per process."""
    return importlib.import_module(_module_name(name))


def fresh_handler_module(name: str) -> ModuleType:
    """``functions/<name>/app.py`` imported anew, as a cold start does; ``sys.modules`` is left
    as it was (a module imported before stays the one :func:`handler_module` returns)."""
    module_name = _module_name(name)
    previous = sys.modules.pop(module_name, None)
    try:
        return importlib.import_module(module_name)
    finally:
        if previous is not None:
            sys.modules[module_name] = previous
        else:
            sys.modules.pop(module_name, None)


def load_handler(name: str) -> Handler:
    """``functions/<name>/app.py``'s ``handler``."""
    handler: Handler = handler_module(name).handler
    return handler


def lambda_context(function_name: str = "bedrock-tuner-test", timeout_s: float = 300.0) -> Any:
    """A fresh Lambda context (a new request id each time)."""
    from bedrock_tuner_localcloud.bridge import LambdaContext

    return LambdaContext(
        function_name=function_name,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}",
        memory_limit_in_mb=512,
        timeout_s=timeout_s,
    )


def invoke(name: str, event: dict[str, Any]) -> Any:
    """Run a function's handler as Lambda would (a fresh context each time)."""
    return load_handler(name)(event, lambda_context())
