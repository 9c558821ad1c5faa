"""bedrock-tuner: hands-off Amazon Bedrock model customization.

The package is the Lambda layer. Sub-packages:

- ``catalog``   base models, customization types, formats, limits, hyperparameters, prices
- ``datasets``  streaming validator, report, token estimates, split
- ``pipeline``  cost estimates and (later) the pipeline spec and job requests
- ``aws``       the only modules that call boto3
- ``cli``       the ``bedrock-tuner`` command (never imported by a Lambda handler)
"""

__version__ = "0.1.0"
