"""samediff.nn entries of samediff.nn (part _norm)."""

__all__: list[str] = []
