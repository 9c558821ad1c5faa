"""Aliases: named pointers (``production``, ``staging`` …) at a version of a model family.

Applications read the SSM parameter ``/bedrock-tuner/<family>/<alias>``: the ARN to call —
the family's on-demand deployment when it has one (``set_family_deployment``), else the
alias's custom model. Setting an alias changes three things, in this order:

1. **Lease.** A conditional update takes a lease on the alias item (``leaseId``,
   ``leaseExpiresAt`` = now + 2 min; condition: no lease or an expired one). A second,
   concurrent promotion of the alias fails at once with :class:`ConflictError`
   ("promotion of <alias> in progress"): promotions of one alias never interleave.
2. **SSM.** ``PutParameter`` (String, overwrite) with the target ARN.
3. **Deployment.** If the family has a deployment: ``UpdateCustomModelDeployment``
   (deployment, the version's model ARN), then ``GetCustomModelDeployment`` until its
   update is no longer ``Updating`` (bounded by :data:`DEPLOYMENT_WAIT_SECONDS`);
   ``UpdateFailed`` is a failure.
4. **Registry.** One ``TransactWriteItems``: the alias item (version, previous version,
   revision + 1, lease removed; condition: our lease and the revision read at 1) and the
   history item ``ALIAS#<alias>#<revision:08d>`` (who, why, action, from → to).

If step 2 or 3 fails, the promotion is compensated: the deployment (if it was updated) and
the SSM parameter are put back to the previous target (deleted when there was none), the
lease is released, a history item with ``status = failed`` and the error is written, and
:class:`PromotionError` is raised. If the compensation itself fails, the lease is left to
expire (so nobody promotes over an unknown state for 2 minutes) and the error says how to
repair: ``bedrock-tuner rollback`` or promote again. A promotion to the version the alias
already has is a no-op (``status = unchanged``), so retrying a promotion is safe.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal, NoReturn, Protocol

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from bedrock_tuner.deps import Deps
from bedrock_tuner.errors import (
    BedrockTunerError,
    ConflictError,
    ModelNotFoundError,
    PromotionError,
    UsageError,
)
from bedrock_tuner.models.aliases import AliasChange, AliasState, Promotion, parameter_name
from bedrock_tuner.models.versions import FamilyInfo
from bedrock_tuner.observability import logger
from bedrock_tuner.registry.versions import ModelVersion

__all__ = [
    "DEFAULT_ALIAS",
    "AliasChange",
    "AliasState",
    "AutoPromotion",
    "FamilyInfo",
    "Promotion",
    "PromotionPolicy",
    "ValueDiff",
    "VersionComparison",
    "alias_history",
    "auto_promotion_decision",
    "compare_versions",
    "diff_versions",
    "get_alias",
    "get_version",
    "list_families",
    "maybe_auto_promote",
    "parameter_name",
    "promote",
    "rollback",
    "set_family_deployment",
]

DEFAULT_ALIAS = "production"  # the alias auto-promotion moves (the spec has no option)
LEASE_SECONDS = 120
DEPLOYMENT_WAIT_SECONDS = 60.0
DEPLOYMENT_POLL_SECONDS = 5.0
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # as pipeline names

_CAMEL = ConfigDict(populate_by_name=True, alias_generator=to_camel, extra="ignore")


def _check_name(kind: str, value: str) -> None:
    if not _NAME.match(value):
        raise UsageError(
            f"invalid {kind} name {value!r}",
            fix=f"use 1-64 letters, digits, '.', '_' or '-' for the {kind} name",
        )


# --------------------------------------------------------------------------- models


class ValueDiff(BaseModel):
    """A value in version ``a`` and in version ``b`` (``delta`` = b - a for numbers)."""

    model_config = _CAMEL

    a: Any = None
    b: Any = None
    delta: float | None = None


class VersionComparison(BaseModel):
    model_config = _CAMEL

    family: str
    a: int
    b: int
    metrics: dict[str, ValueDiff]  # every metric, with deltas
    dataset: dict[str, ValueDiff]  # lineage fields that differ
    hyperparameters: dict[str, ValueDiff]  # effective values that differ
    model: dict[str, ValueDiff]  # base model, customization type, parent model that differ
    better: int | None = None  # the version with the lower validation loss


class AutoPromotion(BaseModel):
    """What auto-promotion did after a registration (the register step's ``promotion``)."""

    model_config = _CAMEL

    alias: str
    status: Literal["promoted", "skipped", "failed"]
    reason: str
    change: AliasChange | None = None
    error: str | None = None
    metric: str | None = None  # the loss that decided ("validationLoss" / "trainingLoss")
    candidate: float | None = None  # the new version's value of that loss
    current: float | None = None  # the alias target's value (before the decision)
    current_version: int | None = None  # the alias target before the decision


# --------------------------------------------------------------------------- reads


def get_version(deps: Deps, family: str, version: int) -> ModelVersion:
    """Version ``version`` of ``family`` with its full lineage and metrics."""
    found = deps.versions.get(family, version)
    if found is None:
        raise ModelNotFoundError(
            f"{family} has no version {version}",
            fix=f"list the family's versions: `bedrock-tuner versions list {family}` "
            f"(GET /models/{family}/versions)",
        )
    return found


def get_alias(deps: Deps, family: str, alias: str) -> AliasState:
    """The alias's state; ``version`` is ``None`` when it was never set."""
    _check_name("alias", alias)
    return deps.aliases.get(family, alias)


def alias_history(deps: Deps, family: str, alias: str) -> list[AliasChange]:
    """Every change of the alias, failed attempts included, oldest first."""
    _check_name("alias", alias)
    return deps.aliases.history(family, alias)


def list_families(deps: Deps) -> list[FamilyInfo]:
    """Every family that registered a version (or was given a deployment), by name."""
    return deps.versions.families()


def set_family_deployment(deps: Deps, family: str, deployment_arn: str | None) -> FamilyInfo:
    """Serve the family's aliases through this on-demand deployment (``None`` removes it).

    Takes effect at the next promotion: the SSM parameter then holds the deployment ARN
    and promotions swap the model behind it (``UpdateCustomModelDeployment``).
    """
    _check_name("family", family)
    if deployment_arn is not None and ":custom-model-deployment/" not in deployment_arn:
        raise UsageError(
            f"{deployment_arn!r} is not a custom model deployment ARN",
            fix="pass the ARN CreateCustomModelDeployment returned "
            "(arn:aws:bedrock:<region>:<account>:custom-model-deployment/<id>)",
        )
    deps.versions.put_family(family, at=deps.now(), deployment_arn=deployment_arn or "")
    return deps.versions.get_family(family) or FamilyInfo(family=family)


def _deployment(deps: Deps, family: str) -> str | None:
    found = deps.versions.get_family(family)
    return found.deployment_arn if found is not None and found.deployment_arn else None


# --------------------------------------------------------------------------- comparison


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _diffs(a: dict[str, Any], b: dict[str, Any], *, all_keys: bool = False) -> dict[str, ValueDiff]:
    out: dict[str, ValueDiff] = {}
    for key in sorted(set(a) | set(b)):
        left, right = a.get(key), b.get(key)
        if left == right and not all_keys:
            continue
        low, high = _number(left), _number(right)
        delta = round(high - low, 10) if low is not None and high is not None else None
        out[key] = ValueDiff(a=left, b=right, delta=delta)
    return out


def diff_versions(a: ModelVersion, b: ModelVersion) -> VersionComparison:
    """Metrics (all, with ``b - a`` deltas), and the data, hyperparameters and model
    fields that differ."""
    metrics_a = a.metrics.model_dump(by_alias=True, exclude={"overfitting_reason"})
    metrics_b = b.metrics.model_dump(by_alias=True, exclude={"overfitting_reason"})
    metrics_a["costUsd"], metrics_b["costUsd"] = a.cost_usd, b.cost_usd
    model_fields = ("base_model", "customization_type", "parent_model_arn", "pipeline")
    better: int | None = None
    loss_a, loss_b = a.metrics.validation_loss, b.metrics.validation_loss
    if loss_a is not None and loss_b is not None and loss_a != loss_b:
        better = a.version if loss_a < loss_b else b.version
    return VersionComparison(
        family=a.family,
        a=a.version,
        b=b.version,
        metrics=_diffs(metrics_a, metrics_b, all_keys=True),
        dataset=_diffs(
            a.dataset.model_dump(by_alias=True, exclude_none=True),
            b.dataset.model_dump(by_alias=True, exclude_none=True),
        ),
        hyperparameters=_diffs(dict(a.hyperparameters), dict(b.hyperparameters)),
        model=_diffs(
            {to_camel(name): getattr(a, name) for name in model_fields},
            {to_camel(name): getattr(b, name) for name in model_fields},
        ),
        better=better,
    )


def compare_versions(deps: Deps, family: str, a: int, b: int) -> VersionComparison:
    """Compare versions ``a`` and ``b`` of ``family`` (:func:`diff_versions`)."""
    return diff_versions(get_version(deps, family, a), get_version(deps, family, b))


# --------------------------------------------------------------------------- promotion


def _epoch(deps: Deps) -> int:
    return int(deps.clock().timestamp())


def _wait_for_deployment(deps: Deps, deployment_arn: str) -> None:
    """Until the deployment's update is no longer ``Updating`` (bounded)."""
    deadline = time.monotonic() + DEPLOYMENT_WAIT_SECONDS
    while True:
        found = deps.bedrock.get_custom_model_deployment(deployment_arn)
        if found is None:
            raise PromotionError(
                f"deployment {deployment_arn} disappeared during the promotion",
                fix="create the deployment again and run set-deployment, or remove it",
            )
        update = str((found.get("updateDetails") or {}).get("updateStatus") or "")
        status = str(found.get("status") or "")
        if update == "UpdateFailed" or status == "Failed":
            raise PromotionError(
                f"deployment {deployment_arn} failed to switch models: "
                f"{found.get('failureMessage') or update or status}",
                fix="check the model supports on-demand deployment; the alias was not changed",
            )
        if update != "Updating" and status != "Creating":
            return
        if time.monotonic() >= deadline:
            logger.warning(
                "deployment still updating; committing the promotion",
                extra={"deploymentArn": deployment_arn},
            )
            return
        time.sleep(DEPLOYMENT_POLL_SECONDS)


def _restore(
    deps: Deps,
    *,
    parameter: str,
    current: AliasState,
    deployment: str | None,
    deployment_updated: bool,
) -> None:
    """Put the deployment and the SSM parameter back to the alias's current target."""
    if deployment and deployment_updated and current.model_arn:
        deps.bedrock.update_custom_model_deployment(deployment, current.model_arn)
    if current.target_arn:
        deps.ssm.put(parameter, current.target_arn)
    else:
        deps.ssm.delete(parameter)


def promote(
    deps: Deps,
    family: str,
    alias: str,
    version: int,
    *,
    by: str,
    reason: str | None,
    action: Promotion = "promote",
    expected_revision: int | None = None,
    pipeline: str | None = None,
) -> AliasChange:
    """Point ``alias`` at ``version`` (see the module docstring for the algorithm).

    Returns the change (``status = unchanged`` when the alias already had the version).
    ``expected_revision`` (optimistic concurrency, e.g. an HTTP ``If-Match``): refuse with
    :class:`ConflictError` unless the alias is still at that revision. ``pipeline`` (a
    pipeline promoting its own version: auto-promotion) must own the family or be one of
    its writers, checked before anything changes and again in the commit's transaction.

    Raises
    ------
    ForbiddenError
        ``pipeline`` may not write to the family (before anything changed).
    ModelNotFoundError
        No such version.
    ConflictError
        Another promotion of the alias is in progress (or won the race).
    PromotionError
        SSM or the deployment failed; compensated unless the message says otherwise.
    ThrottlingError, TransientError
        AWS failed before anything changed; retry.
    """
    _check_name("family", family)
    _check_name("alias", alias)
    if pipeline is not None:
        deps.versions.check_family_writer(family, pipeline)
    target = get_version(deps, family, version)
    deployment = _deployment(deps, family)
    target_arn = deployment or target.model_arn
    parameter = parameter_name(family, alias)

    def change(current: AliasState, **kw: Any) -> AliasChange:
        values: dict[str, Any] = {
            "family": family,
            "alias": alias,
            "version": version,
            "previous_version": current.version,
            "model_arn": target.model_arn,
            "target_arn": target_arn,
            "revision": current.revision,
            "action": action,
            "by": by,
            "reason": reason,
            "at": deps.now(),
        }
        values.update(kw)
        return AliasChange.model_validate(values)

    current = get_alias(deps, family, alias)
    if current.version == version and current.target_arn == target_arn:
        return change(current, previous_version=current.previous_version, status="unchanged")

    lease_id = uuid.uuid4().hex
    now = _epoch(deps)
    current = deps.aliases.acquire_lease(
        family, alias, lease_id=lease_id, now=now, expires=now + LEASE_SECONDS
    )
    if expected_revision is not None and current.revision != expected_revision:
        deps.aliases.release_lease(family, alias, lease_id)
        raise ConflictError(
            f"alias {alias} of {family} is at revision {current.revision}, not {expected_revision}",
            fix="read the alias again and decide on its current target",
        )
    if current.version == version and current.target_arn == target_arn:
        deps.aliases.release_lease(family, alias, lease_id)
        return change(current, previous_version=current.previous_version, status="unchanged")

    deployment_updated = False

    def compensate(exc: Exception) -> NoReturn:
        """Put SSM and the deployment back, record the failed attempt, release the lease."""
        _fail(
            deps,
            change(current, status="failed", error=str(exc)),
            exc,
            lease_id=lease_id,
            restore=lambda: _restore(
                deps,
                parameter=parameter,
                current=current,
                deployment=deployment,
                deployment_updated=deployment_updated,
            ),
        )

    try:
        deps.ssm.put(parameter, target_arn, description=f"{family} {alias}: model to call")
        if deployment:
            deps.bedrock.update_custom_model_deployment(deployment, target.model_arn)
            deployment_updated = True
            _wait_for_deployment(deps, deployment)
    except Exception as exc:  # noqa: BLE001 - any failure here is compensated, then re-raised
        compensate(exc)

    done = change(current, revision=current.revision + 1)
    fields = {
        "version": version,
        "previousVersion": current.version,
        "modelArn": target.model_arn,
        "targetArn": target_arn,
        "previousModelArn": current.model_arn,
        "previousTargetArn": current.target_arn,
        "updatedAt": done.at,
        "updatedBy": by,
        "reason": reason,
        "action": action,
    }
    try:
        deps.aliases.commit(
            family,
            alias,
            lease_id=lease_id,
            expected_revision=current.revision,
            fields=fields,
            history=done,
            writer=pipeline,
        )
    except ConflictError as exc:
        # Our lease expired and another promotion took the alias: it owns SSM and the
        # deployment now, so nothing is put back.
        raise PromotionError(
            f"promotion of {family}/{alias} to v{version} lost its lease before committing: "
            f"{exc.message}",
            fix=f"read the alias and its history, then promote {alias} again "
            "(SSM and the deployment follow the last promotion that committed)",
        ) from exc
    except Exception as exc:  # noqa: BLE001 - compensated, then re-raised
        compensate(exc)
    logger.info(
        "alias changed",
        extra={"family": family, "alias": alias, "version": version, "action": action},
    )
    return done


def _fail(
    deps: Deps,
    failed: AliasChange,
    exc: Exception,
    *,
    lease_id: str,
    restore: Callable[[], None],
) -> NoReturn:
    """Compensate, record the failed attempt and raise (never returns)."""
    where = f"{failed.family}/{failed.alias}"
    try:
        restore()
        deps.aliases.release_lease(failed.family, failed.alias, lease_id)
        compensated = True
    except Exception as undo:  # noqa: BLE001 - reported in the raised error
        logger.exception("promotion compensation failed", extra={"alias": where})
        compensated = False
        undo_error: Exception | None = undo
    else:
        undo_error = None
    record = failed.model_copy(update={"compensated": compensated})
    try:
        deps.aliases.put_failed_attempt(record, lease_id=lease_id)
    except Exception:  # noqa: BLE001 - the history item is best effort
        logger.exception("could not record the failed promotion", extra={"alias": where})
    logger.warning(
        "promotion failed",
        extra={"alias": where, "version": failed.version, "compensated": compensated},
    )
    message = exc.message if isinstance(exc, BedrockTunerError) else str(exc)
    if compensated:
        raise PromotionError(
            f"promotion of {where} to v{failed.version} failed and was undone: {message}",
            fix=(exc.fix if isinstance(exc, BedrockTunerError) else None)
            or "fix the cause and promote again",
        ) from exc
    raise PromotionError(
        f"promotion of {where} to v{failed.version} failed ({message}) and putting SSM/the "
        f"deployment back failed too ({undo_error}): they may point at v{failed.version} while "
        f"the registry says v{failed.previous_version}",
        fix=f"after the lease expires ({LEASE_SECONDS // 60} min), promote {failed.alias} "
        f"again, or run `bedrock-tuner rollback {failed.family} {failed.alias} --reason R` to "
        f"re-apply v{failed.previous_version}",
    ) from exc


def rollback(deps: Deps, family: str, alias: str, *, by: str, reason: str | None) -> AliasChange:
    """Point the alias back at its previous version (recorded as ``rollback``).

    Raises
    ------
    ConflictError
        The alias has no previous target (or a promotion is in progress).
    """
    current = get_alias(deps, family, alias)
    if current.previous_version is None:
        raise ConflictError(
            f"alias {alias} of {family} has no previous version to roll back to",
            fix=f"promote a specific version instead: "
            f"`bedrock-tuner promote {family} {alias} VERSION --reason R`",
        )
    return promote(
        deps,
        family,
        alias,
        current.previous_version,
        by=by,
        reason=reason,
        action="rollback",
        expected_revision=current.revision,  # not to a "previous" another change replaced
    )


# --------------------------------------------------------------------------- auto-promotion


def auto_promotion_decision(
    new_loss: float | None,
    current_loss: float | None,
    *,
    has_target: bool,
    metric: str = "validation loss",
) -> tuple[bool, str]:
    """Whether auto-promotion moves the alias, and why (``auto_if_better``)."""
    if not has_target:
        return True, "the alias had no target"
    if new_loss is None:
        return False, f"the new version has no {metric}"
    if current_loss is None:
        return False, f"the current version has no {metric} to compare with"
    if new_loss < current_loss:
        return True, f"{metric} {new_loss:g} < {current_loss:g}"
    return False, f"{metric} {new_loss:g} is not lower than {current_loss:g}"


_METRIC_LABELS = {"validation_loss": "validation loss", "training_loss": "training loss"}


class PromotionPolicy(Protocol):
    """What auto-promotion reads of a pipeline spec (``promotion``, ``promotion_metric``)."""

    @property
    def promotion(self) -> str: ...

    @property
    def decisive_metric(self) -> Literal["validation_loss", "training_loss"]: ...


def maybe_auto_promote(
    deps: Deps,
    family: str,
    new_version: ModelVersion | int,
    spec: PromotionPolicy,
    *,
    alias: str = DEFAULT_ALIAS,
) -> AutoPromotion | None:
    """Promote ``alias`` to the new version when the spec says ``auto_if_better`` and the
    new version's loss (``spec.decisive_metric``) beats the alias target's, or the alias
    has no target.

    ``None`` for ``promotion: manual``. Promotion errors propagate (the caller decides).
    """
    if spec.promotion != "auto_if_better":
        return None
    version = (
        new_version
        if isinstance(new_version, ModelVersion)
        else get_version(deps, family, new_version)
    )
    metric = spec.decisive_metric
    label = _METRIC_LABELS[metric]
    candidate = getattr(version.metrics, metric)
    base = {"alias": alias, "metric": to_camel(metric), "candidate": candidate}
    current = get_alias(deps, family, alias)
    current_loss: float | None = None
    if current.version is not None:
        if current.version == version.version:
            return AutoPromotion(
                **base,
                status="skipped",
                reason="already the target",
                current_version=current.version,
            )
        existing = deps.versions.get(family, current.version)
        current_loss = getattr(existing.metrics, metric) if existing else None
    base |= {"current": current_loss, "current_version": current.version}
    go, why = auto_promotion_decision(
        candidate, current_loss, has_target=current.version is not None, metric=label
    )
    if not go:
        return AutoPromotion(**base, status="skipped", reason=why)
    change = promote(
        deps,
        family,
        alias,
        version.version,
        by="pipeline",
        reason=f"auto_if_better: {why}",
        action="auto_promote",
        pipeline=version.pipeline,  # only within a family the pipeline may write to
    )
    return AutoPromotion(**base, status="promoted", reason=why, change=change)
