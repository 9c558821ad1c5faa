"""Dataset validation: streaming reader, record schemas, checks, report, tokens, split."""
