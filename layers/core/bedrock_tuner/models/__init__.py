"""Records: the bottom layer, which imports nothing of the package but ``errors``.

The workflow's payloads, the bucket's key layout and the dataset source every layer above
passes around, and the state table's records (runs, approvals, jobs, versions, aliases).
Adapters (``aws/``) and the domain (``datasets/``, ``registry/``, ``notify/``, ``pipeline/``)
import these; these import none of them (tests/unit/test_import_direction.py).
"""
