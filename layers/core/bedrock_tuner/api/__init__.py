"""The REST API (API Gateway, IAM auth): a Powertools resolver over the domain.

``bedrock_tuner.api.app.app`` is the resolver ``functions/api/app.py`` hands every event to;
routes live in ``bedrock_tuner.api.routes`` (one module per resource), errors become RFC 9457
problem details (``bedrock_tuner.api.problems``). Never imported by the pipeline functions.
"""
