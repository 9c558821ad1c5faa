"""The local cloud: the real ``template.yaml`` and ASL on moto, with no AWS account.

Pieces (each module has the details):

* :mod:`.server` — :class:`LocalCloud`: moto's server on 127.0.0.1 with Step Functions
  execution on, the process environment pointed at it, and the pieces below wired together.
* :mod:`.patches` — every moto monkeypatch, each naming the moto bug or limit it works around.
* :mod:`.template` — ``template.yaml`` → CloudFormation offline (local code packaged, SAM
  translated without network).
* :mod:`.deploy` — the hybrid deployer: moto CloudFormation plus boto3 for what moto skips.
* :mod:`.bridge` — runs the project's Lambda handlers in-process when moto invokes a function.
* :mod:`.bedrock_sim` — a Bedrock model-customization simulator (sub-stages, metrics CSVs,
  EventBridge state-change events, failure knobs).
* :mod:`.capture` — every SNS notification the stack sends, for the demo and the tests.

``make demo`` is the CLI's (``bedrock_tuner_cli.demo``). This distribution
(``bedrock-tuner-localcloud``) pins moto and the SAM translator; the CLI's ``local`` extra
installs it. It is never imported by a Lambda handler or the core, and the CLI imports it
lazily.
"""

from __future__ import annotations

from bedrock_tuner_localcloud.errors import LocalCloudError

__all__ = ["LocalCloudError"]
