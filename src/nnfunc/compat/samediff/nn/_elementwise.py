"""samediff.nn entries of samediff.nn (part _elementwise)."""

__all__: list[str] = []
