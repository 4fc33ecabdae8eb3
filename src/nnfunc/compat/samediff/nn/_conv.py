"""samediff.nn entries of samediff.nn (part _conv)."""

__all__: list[str] = []
