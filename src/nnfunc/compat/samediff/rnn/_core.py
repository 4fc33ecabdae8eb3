"""samediff.rnn entries (part _core)."""

__all__: list[str] = []
