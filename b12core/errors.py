"""The one exception type a user can cause, with a message meant for a person."""

from __future__ import annotations


class InputError(Exception):
    """An input that cannot be used at all. ``str(err)`` is one line for the user: line breaks
    quoted from a file become spaces."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class DateOrderNeeded(InputError):
    """Dates in a file could be day-first or month-first and nothing in the file decides it."""

    def __init__(self, source: str, examples: list[str]) -> None:
        self.source = source
        self.examples = examples
        shown = ", ".join(" ".join(e.split()) for e in examples[:3])
        super().__init__(
            f"{source}: dates such as {shown} could be day-first or month-first; "
            "choose the date order (dmy or mdy)"
        )
