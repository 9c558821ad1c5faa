"""One router per resource; ``bedrock_tuner.api.app`` includes them all."""
