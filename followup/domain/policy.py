"""Escalation policy as data: when a step is due, and who hears about it when it stalls."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from followup.domain.errors import ValidationError


class Role(StrEnum):
    """Who receives a notice, relative to the assigned unit."""

    OFFICER = "officer"  # cán bộ phụ trách of the unit
    HEAD = "head"  # chủ tịch / trưởng of the unit
    LEADER = "leader"  # lãnh đạo thành phố phụ trách: the head of the unit's parent


@dataclass(frozen=True)
class LadderLevel:
    level: int
    recipient: Role
    #: Working days after the previous level (for level 1: after the step stalled).
    after_working_days: int


def _default_ladder() -> tuple[LadderLevel, ...]:
    return (
        LadderLevel(1, Role.OFFICER, 0),
        LadderLevel(2, Role.HEAD, 2),
        LadderLevel(3, Role.LEADER, 3),
    )


@dataclass(frozen=True)
class EscalationPolicy:
    """All timings in working days."""

    ack_within_days: int = 2
    progress_every_days: int = 10
    progress_grace_days: int = 2
    reminder_before_days: int = 2
    ladder: tuple[LadderLevel, ...] = field(default_factory=_default_ladder)

    def __post_init__(self) -> None:
        for name in ("ack_within_days", "progress_every_days"):
            if getattr(self, name) < 1:
                raise ValidationError(
                    f"Chính sách đôn đốc: {name} phải từ 1 ngày làm việc trở lên."
                )
        for name in ("progress_grace_days", "reminder_before_days"):
            if getattr(self, name) < 0:
                raise ValidationError(f"Chính sách đôn đốc: {name} không được âm.")
        if not self.ladder:
            raise ValidationError("Chính sách đôn đốc: cần ít nhất một bậc đôn đốc.")
        for expected, level in enumerate(self.ladder, start=1):
            if level.level != expected:
                raise ValidationError(
                    f"Chính sách đôn đốc: các bậc phải đánh số liên tục từ 1, gặp {level.level}."
                )
            # A later level on the same day would fire together with the one before it.
            if expected > 1 and level.after_working_days < 1:
                raise ValidationError(
                    f"Chính sách đôn đốc: bậc {expected} phải cách bậc trước ít nhất 1 ngày."
                )

    @property
    def top_level(self) -> int:
        return len(self.ladder)

    def level(self, number: int) -> LadderLevel:
        return self.ladder[number - 1]

    @classmethod
    def with_delays(cls, delays: list[int], **timings: int) -> EscalationPolicy:
        """Build the standard officer → head → leader ladder with the given delays."""
        roles = (Role.OFFICER, Role.HEAD, Role.LEADER)
        if len(delays) != len(roles):
            raise ValidationError(
                f"Chính sách đôn đốc: cần {len(roles)} khoảng thời gian cho các bậc, "
                f"nhận {len(delays)}."
            )
        ladder = tuple(
            LadderLevel(i, role, days)
            for i, (role, days) in enumerate(zip(roles, delays, strict=True), 1)
        )
        return cls(ladder=ladder, **timings)
