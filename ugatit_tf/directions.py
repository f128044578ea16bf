"""The two translation directions, named as everywhere in the library."""

DIRECTIONS = ("a2b", "b2a")


def check_direction(direction):
    """Returns `direction` if it is "a2b" or "b2a"; raises a ValueError otherwise."""
    if direction not in DIRECTIONS:
        raise ValueError(
            f"Unknown direction {direction!r}: use one of {', '.join(DIRECTIONS)} "
            f"(a2b translates domain A images to domain B).")
    return direction
