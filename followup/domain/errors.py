"""Errors a person can act on: each message is one sentence that says what and where."""


class FollowupError(Exception):
    """Base of every error we show to a user as one sentence, without a traceback."""


class IllegalTransitionError(FollowupError):
    """An action was asked of an assignment in a state that does not allow it."""

    def __init__(self, current: str, target: str, *, where: str = "") -> None:
        """`current` and `target` are the states' labels, as a person reads them."""
        place = f" ({where})" if where else ""
        super().__init__(
            f"Không thể chuyển nhiệm vụ{place} từ trạng thái '{current}' sang '{target}'."
        )


class ValidationError(FollowupError):
    """Input that breaks a rule: unknown unit, percent out of range, a date in the past..."""


class NotFoundError(FollowupError):
    """A reference (unit, directive, assignment) that names nothing we know."""


class StaleInputError(FollowupError):
    """A coordinator's answer given against a state of the directive that has since changed."""
