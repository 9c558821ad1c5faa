"""A small static resolver for CloudFormation intrinsics that depend only on parameters,
pseudo parameters and conditions (``Ref``, ``Fn::Sub``, ``Fn::Join``, ``Fn::If``,
``Fn::Select``, ``Fn::Split``, ``Fn::Equals``/``Not``/``And``/``Or``).

The deployer uses it for what it must know before moto's ``create_stack`` runs (a layer's
name, a resource's condition). Everything else is resolved by moto itself.
"""

from __future__ import annotations

import re
from typing import Any

from bedrock_tuner_localcloud.errors import LocalCloudError

_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


class StaticResolver:
    """Resolve parameter-only intrinsics of one template."""

    def __init__(
        self, template: dict[str, Any], parameters: dict[str, str], pseudo: dict[str, str]
    ) -> None:
        self.template = template
        self.values: dict[str, Any] = dict(pseudo)
        for name, spec in (template.get("Parameters") or {}).items():
            value = parameters.get(name, spec.get("Default"))
            if value is None:
                raise LocalCloudError(f"template parameter {name} has no value and no default")
            ptype = str(spec.get("Type", "String"))
            if ptype == "CommaDelimitedList" or ptype.startswith("List<"):
                value = value.split(",") if isinstance(value, str) else value
            self.values[name] = value
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise LocalCloudError(f"unknown condition {name}")
            self._conditions[name] = bool(self._condition_expr(conditions[name]))
        return self._conditions[name]

    def _condition_expr(self, expr: Any) -> Any:
        if isinstance(expr, dict) and len(expr) == 1:
            ((key, arg),) = expr.items()
            if key == "Fn::Equals":
                left, right = (self.resolve(x) for x in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._condition_expr(arg[0])
            if key == "Fn::And":
                return all(self._condition_expr(x) for x in arg)
            if key == "Fn::Or":
                return any(self._condition_expr(x) for x in arg)
            if key == "Condition":
                return self.condition(arg)
        return self.resolve(expr)

    def ref(self, name: str) -> Any:
        if name not in self.values:
            raise LocalCloudError(f"cannot resolve Ref {name} before the stack exists")
        return self.values[name]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [x for x in (self.resolve(v) for v in value) if x is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return NO_VALUE if arg == "AWS::NoValue" else self.ref(arg)
            if key == "Fn::Sub":
                text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                local = {k: self.resolve(v) for k, v in local.items()}

                def sub(match: re.Match[str]) -> str:
                    name = match.group(1)
                    return str(local[name] if name in local else self.ref(name))

                return _SUB.sub(sub, text).replace("${!", "${")
            if key == "Fn::Join":
                return str(arg[0]).join(str(x) for x in self.resolve(arg[1]))
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
            if key.startswith("Fn::") or key == "Condition":
                raise LocalCloudError(f"cannot resolve {key} before the stack exists")
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}
