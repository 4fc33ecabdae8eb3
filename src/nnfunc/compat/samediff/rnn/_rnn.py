"""samediff.rnn entries (part _rnn)."""

__all__: list[str] = []
