"""bedrock-tuner: hands-off Amazon Bedrock model customization.

The package is the Lambda layer (distribution ``bedrock-tuner-core``). Imports point down
this list (tests/unit/test_import_direction.py):

- ``errors``, ``casing``, ``clock``, ``settings``, ``observability``  the base
- ``models``    records: the workflow's payloads, the bucket's key layout, dataset sources
- ``catalog``   base models, customization types, formats, limits, hyperparameters, prices
- ``aws``       the only modules that call boto3
- ``ports``, ``deps``  the Protocols the domain needs from AWS, and the adapters built for them
- ``datasets``, ``registry``, ``notify``  the validator, versions and aliases, messages
- ``pipeline``  the use cases behind each handler
- ``api``       the REST API

The CLI and the local cloud are distributions of their own (``cli/``, ``localcloud/``);
nothing here imports them.
"""

__version__ = "0.1.0"
