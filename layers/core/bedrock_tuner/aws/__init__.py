"""Thin boto3 adapters: the only modules in the package that call AWS."""
