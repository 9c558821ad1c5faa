"""The ``bedrock-tuner`` command line and the REST API's client (``client/``).

Distribution ``bedrock-tuner``: what a laptop installs. It uses the core (``bedrock_tuner``)
and, for ``local up|demo`` only, the local cloud (the ``local`` extra, imported lazily).
Never imported by a Lambda handler or the core.
"""
