

def hours_text(value) -> str:
    """8, 1.5, 17.5 — hours as people write them (no trailing .0)."""
    return f"{value.normalize():f}"
