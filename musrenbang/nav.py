def items(user) -> list[tuple[str, str]]:
    return []
