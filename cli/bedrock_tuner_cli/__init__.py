"""The ``bedrock-tuner`` command line (never imported by a Lambda handler)."""
