"""samediff.nn entries of samediff.nn (part _activation)."""

__all__: list[str] = []
