"""samediff.nn entries of samediff.nn (part _loss)."""

__all__: list[str] = []
