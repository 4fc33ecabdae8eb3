"""Family `normalization` of the catalog (filled in by its issue)."""

__all__: list[str] = []
