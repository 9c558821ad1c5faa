"""SSM Parameter Store adapter: the parameters applications read (``/bedrock-tuner/...``).

Clients come from :mod:`bedrock_tuner.aws.clients` (standard retries for throttling and
5xx); what is still failing after the retries becomes ``ThrottlingError`` /
``TransientError``, anything else :class:`PromotionError` with a fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bedrock_tuner.aws.clients import client as default_client
from bedrock_tuner.aws.codes import error_code, error_message, retryable_error
from bedrock_tuner.errors import PromotionError

__all__ = ["SsmParameters"]


class SsmParameters:
    """String parameters: put (overwrite), get, delete."""

    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._factory = client_factory or (lambda: default_client("ssm"))

    @property
    def _ssm(self) -> Any:
        return self._factory()

    @staticmethod
    def _error(operation: str, name: str, exc: Exception) -> Exception:
        retry = retryable_error(exc, f"SSM {operation} {name}")
        if retry is not None:
            return retry
        fix = (
            f"grant ssm:{operation} on the parameter (template.yaml scopes it to "
            "parameter/bedrock-tuner/*)"
            if error_code(exc) == "AccessDeniedException"
            else "read the message, fix the cause and retry"
        )
        return PromotionError(
            f"SSM {operation} {name} failed: {error_code(exc)}: {error_message(exc)}", fix=fix
        )

    def put(self, name: str, value: str, *, description: str | None = None) -> None:
        """Write ``value`` (a String parameter, overwriting)."""
        kwargs: dict[str, Any] = {"Name": name, "Value": value, "Type": "String"}
        if description:
            kwargs["Description"] = description
        try:
            self._ssm.put_parameter(Overwrite=True, **kwargs)
        except Exception as exc:
            raise self._error("PutParameter", name, exc) from exc

    def get(self, name: str) -> str | None:
        """The value, ``None`` if the parameter does not exist."""
        try:
            response = self._ssm.get_parameter(Name=name)
        except Exception as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            raise self._error("GetParameter", name, exc) from exc
        return str(response["Parameter"]["Value"])

    def delete(self, name: str) -> None:
        """Remove the parameter (absent is fine)."""
        try:
            self._ssm.delete_parameter(Name=name)
        except Exception as exc:
            if error_code(exc) == "ParameterNotFound":
                return
            raise self._error("DeleteParameter", name, exc) from exc
