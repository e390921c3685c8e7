from enum import StrEnum

from ce_portal.errors import DomainError


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNIT_APPROVED = "unit_approved"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


class Actor(StrEnum):
    PROFESSIONAL = "professional"  # the claimant
    LEVEL1 = "level1"  # a unit_reviewer of the claim's unit
    LEVEL2 = "level2"  # the unit's authority reviewer, else the region's county_hr (city_hr for city units)


TRANSITIONS: dict[tuple[Status, Action], tuple[Status, Actor]] = {
    (Status.DRAFT, Action.SUBMIT): (Status.SUBMITTED, Actor.PROFESSIONAL),
    (Status.SUBMITTED, Action.WITHDRAW): (Status.WITHDRAWN, Actor.PROFESSIONAL),
    (Status.RETURNED, Action.RESUBMIT): (Status.SUBMITTED, Actor.PROFESSIONAL),
    (Status.SUBMITTED, Action.APPROVE): (Status.UNIT_APPROVED, Actor.LEVEL1),
    (Status.SUBMITTED, Action.REJECT): (Status.REJECTED, Actor.LEVEL1),
    (Status.SUBMITTED, Action.RETURN): (Status.RETURNED, Actor.LEVEL1),
    (Status.UNIT_APPROVED, Action.APPROVE): (Status.APPROVED, Actor.LEVEL2),
    (Status.UNIT_APPROVED, Action.REJECT): (Status.REJECTED, Actor.LEVEL2),
    (Status.UNIT_APPROVED, Action.RETURN): (Status.RETURNED, Actor.LEVEL2),
}


REASON_REQUIRED = frozenset({Action.REJECT, Action.RETURN})


# Which review level a pending status waits on.
PENDING_LEVEL = {Status.SUBMITTED: 1, Status.UNIT_APPROVED: 2}


REVIEW_ACTIONS = frozenset({Action.APPROVE, Action.REJECT, Action.RETURN})


_ACTION_LABELS = {
    Action.SUBMIT: "提交", Action.WITHDRAW: "撤回", Action.RESUBMIT: "重新提交",
    Action.APPROVE: "审核通过", Action.REJECT: "审核不通过", Action.RETURN: "退回修改",
}


_STATUS_LABELS = {
    Status.DRAFT: "草稿", Status.SUBMITTED: "待单位审核", Status.UNIT_APPROVED: "待主管部门审核",
    Status.APPROVED: "已通过", Status.REJECTED: "未通过", Status.RETURNED: "退回修改", Status.WITHDRAWN: "已撤回",
}


def transition(status: str, action: str, actor: str, *, reason: str = "") -> Status:
    """The status after `actor` does `action` on a claim in `status`, or a DomainError saying why not."""
    status, action, actor = Status(status), Action(action), Actor(actor)
    move = TRANSITIONS.get((status, action))
    if move is None:
        if action in REVIEW_ACTIONS and status not in PENDING_LEVEL:
            raise DomainError(f"该申报已处理（当前状态：{_STATUS_LABELS[status]}），无需再审。", code="already_decided")
        raise DomainError(
            f"当前状态为「{_STATUS_LABELS[status]}」的申报不能{_ACTION_LABELS[action]}。", code="invalid_transition"
        )
    new_status, allowed_actor = move
    if actor != allowed_actor:
        if action in REVIEW_ACTIONS and actor in (Actor.LEVEL1, Actor.LEVEL2):
            # A reviewer of the other level: the claim has moved on (or not yet arrived) — say so plainly.
            raise DomainError(f"该申报当前为「{_STATUS_LABELS[status]}」，不在您的审核环节。", code="already_decided")
        raise DomainError(f"您不能对该申报执行「{_ACTION_LABELS[action]}」。", code="not_allowed")
    if action in REASON_REQUIRED and not reason.strip():
        raise DomainError(f"{_ACTION_LABELS[action]}必须填写理由。", code="reason_required", field="reason")
    return new_status


def allowed_actions(status: str, actor: str) -> list[Action]:
    """What `actor` may do now (for showing buttons)."""
    return [action for (st, action), (_, who) in TRANSITIONS.items() if st == status and who == actor]
