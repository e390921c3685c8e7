"""Writes on the registry: who works where, and who may log in (self-registration and the unit's review of
it, staff import, 调入 requests and their decisions, new units), and the admin access that follows the
city_hr role.

One function per action, each atomic and audited; a refusal is a DomainError with a Chinese message and a
stable code, and changes nothing.
"""
import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from audits.trail.services import record_event
from ce_portal.errors import DomainError, NotFound
from ce_portal.queue import enqueue_on_commit
from records.people.access import scope_for
from records.people.models import (
    Account, Employment, IndustryAuthority, Professional, RecordClaim, Region, Role, RoleMembership, TransferRequest,
    Unit,
)
from records.people.rules import (
    RawRow, RegistrationFacts, RegistrationPath, StaffRow, StaffRowInvalid, clean_staff_row, one_time_password_refusal,
    registration_path, same_name,
)
from records.people.selectors import (
    claim_reviewing_unit_id, id_numbers_q, password_change_required, professional_by_id_number, professional_username,
    transfer_party, unit_staff,
)

EMPLOYED_ELSEWHERE = "该人员当前在其他单位任职，请通过调入办理。"


@dataclass(frozen=True)
class Registration:
    """What a registration did; the registrant is told the same whatever it was (RegistrationPath)."""

    path: RegistrationPath
    professional: Professional | None = None
    claim: RecordClaim | None = None


@transaction.atomic
def professional_register(*, id_number: str, name: str, phone: str, password: str, unit: Unit,
                          today: dt.date) -> Registration:
    """A person signs up (username: `professional_username`, the ID number's digest). Nothing goes live and nothing a unit entered changes: a new
    person waits for the chosen unit's approval, a record a unit entered is claimed (RecordClaim), a number
    whose account is in use is left alone.

    `id_number` is already normalised and checksum-valid; the password already passed the validators.
    """
    # Hashed whatever the path: an ignored registration must not answer sooner than an accepted one.
    password_hash = make_password(password)
    existing = professional_by_id_number(id_number, for_update=True)
    username = professional_username(id_number)
    account = get_user_model().objects.select_for_update().filter(username=username).first()
    path = registration_path(_registration_facts(existing, account))
    if path is RegistrationPath.IGNORE:
        record_event(actor=None, action="professional.register_ignored", target=existing or account,
                     after={"unit": unit.pk})
        return Registration(path=path, professional=existing)

    account = account or get_user_model()(username=username, is_active=False)
    account.first_name, account.password, account.is_active = name, password_hash, False
    account.save()
    if path is RegistrationPath.CLAIM:
        claim = RecordClaim.objects.create(professional=existing, user=account, unit=unit, name=name, phone=phone)
        record_event(actor=account, action="professional.record_claim", target=existing, after={
            "claim": claim.pk, "unit": unit.pk, "name_matches": same_name(name, existing.name),
        })
        return Registration(path=path, professional=existing, claim=claim)

    # NEW, or REAPPLY: the registrant's own refused application, with nothing of a unit's in it, filed again.
    professional = existing or Professional(id_number=id_number)
    before = {"name": professional.name, "status": professional.status} if existing else None
    professional.name, professional.phone, professional.user = name, phone, account
    professional.status = Professional.Status.PENDING
    professional.save()
    _check_start_after_last_employment(professional, started_on=today)
    Employment.objects.create(professional=professional, unit=unit, started_on=today)
    RoleMembership.objects.get_or_create(user=account, role=Role.PROFESSIONAL, professional=professional)
    record_event(actor=account, action="professional.register", target=professional, before=before,
                 after={"unit": unit.pk, "path": path.value})
    return Registration(path=path, professional=professional)


def _registration_facts(existing: Professional | None, account) -> RegistrationFacts:
    own_refused = (
        existing is not None and account is not None and existing.user_id == account.pk
        and existing.status == Professional.Status.REJECTED and not account.is_active
    )
    return RegistrationFacts(
        record=existing is not None,
        record_has_account=existing is not None and existing.user_id is not None,
        record_is_own_refused=own_refused,
        record_held=existing is not None and _current_employment(existing) is not None,
        account=account is not None,
        account_reusable=account is not None and (own_refused or _only_refused_claims(account)),
    )


def _only_refused_claims(account) -> bool:
    """An inactive account made by claims that were all turned down, linked to nobody: it may claim again."""
    if account.is_active or Professional.objects.filter(user=account).exists():
        return False
    statuses = set(account.record_claims.values_list("status", flat=True))
    return statuses == {RecordClaim.Status.REJECTED}


@transaction.atomic
def registration_approve(*, professional: Professional, actor) -> Professional:
    professional = _lock_pending(professional)
    professional.status = Professional.Status.ACTIVE
    professional.save(update_fields=["status"])
    professional.user.is_active = True
    professional.user.save(update_fields=["is_active"])
    record_event(actor=actor, action="professional.registration_approve", target=professional,
                 before={"status": Professional.Status.PENDING}, after={"status": professional.status})
    return professional


@transaction.atomic
def registration_reject(*, professional: Professional, actor, reason: str) -> Professional:
    """The unit says this person does not work here: the employment the registration claimed goes away."""
    reason = _required_reason(reason)
    professional = _lock_pending(professional)
    claimed = _current_employment(professional)
    professional.status = Professional.Status.REJECTED
    professional.save(update_fields=["status"])
    if claimed is not None:
        claimed.delete()
    record_event(actor=actor, action="professional.registration_reject", target=professional,
                 before={"status": Professional.Status.PENDING, "unit": claimed.unit_id if claimed else None},
                 after={"status": professional.status, "reason": reason})
    return professional


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写退回原因，申请人登录时会看到。", code="reason_required", field="reason")
    return reason


@transaction.atomic
def record_claim_approve(*, claim: RecordClaim, actor, today: dt.date) -> RecordClaim:
    """The unit vouches that the registrant is the person it entered: the account is linked and activated.
    What the unit entered stays; only a phone it left blank takes the registrant's. Someone employed
    nowhere starts with the approving unit today."""
    claim = _lock_claim(claim, actor)
    professional = Professional.objects.select_for_update(of=("self",)).get(pk=claim.professional_id)
    if professional.user_id not in (None, claim.user_id):
        raise DomainError("该人员已关联其他登录账号，不能通过本申请，请退回。", code="already_linked")
    if not same_name(claim.name, professional.name):
        raise DomainError(
            f"申请人填写的姓名（{claim.name}）与单位登记的姓名（{professional.name}）不一致，不能通过；"
            "如确为本人，请退回并告知其按单位登记的姓名重新注册。",
            code="name_mismatch",
        )
    started = None
    if _current_employment(professional) is None:
        _check_start_after_last_employment(professional, started_on=today)
        started = Employment.objects.create(professional=professional, unit=claim.unit, started_on=today)
    before = {"user": professional.user_id, "status": professional.status, "phone_blank": not professional.phone}
    professional.user = claim.user
    professional.status = Professional.Status.ACTIVE
    professional.phone = professional.phone or claim.phone
    professional.save(update_fields=["user", "status", "phone"])
    account = claim.user
    account.is_active, account.first_name = True, professional.name
    account.save(update_fields=["is_active", "first_name"])
    RoleMembership.objects.get_or_create(user=account, role=Role.PROFESSIONAL, professional=professional)
    _decide(claim, actor, RecordClaim.Status.APPROVED)
    record_event(actor=actor, action="professional.record_claim_approve", target=professional, before=before,
                 after={"claim": claim.pk, "user": account.pk, "status": professional.status,
                        "started_at_unit": started.unit_id if started else None})
    return claim


@transaction.atomic
def record_claim_reject(*, claim: RecordClaim, actor, reason: str) -> RecordClaim:
    """Not the person the unit entered (or not now): the account stays inactive, the record as it was."""
    reason = _required_reason(reason)
    claim = _lock_claim(claim, actor)
    claim.reason = reason
    _decide(claim, actor, RecordClaim.Status.REJECTED)
    record_event(actor=actor, action="professional.record_claim_reject", target=claim.professional,
                 after={"claim": claim.pk, "reason": reason})
    return claim


def _lock_claim(claim: RecordClaim, actor) -> RecordClaim:
    claim = RecordClaim.objects.select_for_update(of=("self",)).select_related("user").get(pk=claim.pk)
    if claim_reviewing_unit_id(claim) not in scope_for(actor).unit_ids:
        raise NotFound("未找到该申请。")
    if claim.status != RecordClaim.Status.PENDING:
        raise DomainError("该申请已经处理过了。", code="not_pending")
    return claim


def _decide(claim: RecordClaim, actor, status: str) -> None:
    claim.status, claim.decided_by, claim.decided_at = status, actor, timezone.now()
    claim.save(update_fields=["status", "reason", "decided_by", "decided_at"])


def _lock_pending(professional: Professional) -> Professional:
    professional = Professional.objects.select_for_update(of=("self",)).select_related("user").get(pk=professional.pk)
    if professional.status != Professional.Status.PENDING or professional.user is None:
        raise DomainError("该注册申请已经处理过了。", code="not_pending")
    return professional


@dataclass
class RowOutcome:
    line: int
    name: str
    id_number: str = ""
    professional: Professional | None = None
    error: DomainError | None = None

    @property
    def created(self) -> bool:
        return self.error is None


@dataclass
class ImportReport:
    outcomes: list[RowOutcome]

    @property
    def created(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.created]

    @property
    def refused(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if not o.created]


@transaction.atomic
def staff_import(*, unit: Unit, rows: list[RawRow], actor, today: dt.date) -> ImportReport:
    """Enrol every acceptable row, refuse the rest with a reason. One transaction; a row is all or nothing."""
    outcomes, clean = [], []
    for raw in rows:
        # The number as typed, so a refused row can be found and fixed in the file.
        outcome = RowOutcome(line=raw.line, name=raw.label, id_number=raw.id_text)
        try:
            row = clean_staff_row(today=today, **raw.values)
        except StaffRowInvalid as exc:
            outcome.error = exc
        else:
            outcome.id_number = row.id_number
            clean.append((outcome, row))
        outcomes.append(outcome)
    clean = _refuse_duplicates_in_file(clean)
    _enrol(unit=unit, rows=clean, actor=actor)
    report = ImportReport(outcomes=outcomes)
    record_event(actor=actor, action="unit.staff_import", target=unit, after={
        "created": [o.professional.pk for o in report.created], "refused": len(report.refused),
    })
    return report


@transaction.atomic
def professional_enrol(*, unit: Unit, row: StaffRow, actor) -> Professional:
    """One person added to the unit's staff by its reviewer (the form and the API)."""
    outcome = RowOutcome(line=1, name=row.name, id_number=row.id_number)
    _enrol(unit=unit, rows=[(outcome, row)], actor=actor)
    if outcome.error is not None:
        raise outcome.error
    record_event(actor=actor, action="unit.staff_add", target=outcome.professional, after={"unit": unit.pk})
    return outcome.professional


def _refuse_duplicates_in_file(clean: list[tuple[RowOutcome, StaffRow]]) -> list[tuple[RowOutcome, StaffRow]]:
    """Two lines with one ID number: we cannot tell which is right, so both go back to the unit."""
    lines: dict[str, list[int]] = {}
    for outcome, row in clean:
        lines.setdefault(row.id_number, []).append(outcome.line)
    kept = []
    for outcome, row in clean:
        same = lines[row.id_number]
        if len(same) > 1:
            outcome.error = DomainError(
                f"文件中第 {'、'.join(map(str, same))} 行的身份证号码相同，请核对后只保留一行。",
                code="duplicate_in_file", field="id_number",
            )
        else:
            kept.append((outcome, row))
    return kept


def _enrol(*, unit: Unit, rows: list[tuple[RowOutcome, StaffRow]], actor) -> None:
    """Look every ID number up once, decide each row, then write in bulk (5,000 rows in one request)."""
    by_number = {
        p.id_number: p
        for p in Professional.objects.select_for_update().filter(id_numbers_q([row.id_number for _, row in rows]))
    }
    current_unit = dict(
        Employment.objects.filter(professional__in=by_number.values(), ended_on__isnull=True)
        .values_list("professional_id", "unit_id")
    )
    last_end = dict(
        Employment.objects.filter(professional__in=by_number.values()).values("professional_id")
        .annotate(last=Max("ended_on")).values_list("professional_id", "last")
    )
    new_people, returning, accepted = [], [], []
    for outcome, row in rows:
        existing = by_number.get(row.id_number)
        try:
            if existing is not None:
                _check_returning(existing, row, unit=unit, current_unit_id=current_unit.get(existing.pk),
                                 last_end=last_end.get(existing.pk))
        except DomainError as exc:
            outcome.error = exc
            continue
        if existing is None:
            outcome.professional = Professional(
                name=row.name, id_number=row.id_number, specialty=row.specialty, title_level=row.title_level,
                phone=row.phone, status=Professional.Status.ACTIVE,
            )
            new_people.append(outcome.professional)
        else:
            # Back with a new employer: the unit's fresh details win over the old record's.
            existing.specialty = row.specialty or existing.specialty
            existing.title_level = row.title_level if row.title_level != Professional.TitleLevel.NONE else (
                existing.title_level)
            existing.phone = row.phone or existing.phone
            outcome.professional = existing
            returning.append(existing)
        accepted.append((outcome, row))
    Professional.objects.bulk_create(new_people, batch_size=1000)
    Professional.objects.bulk_update(returning, ["specialty", "title_level", "phone"], batch_size=1000)
    Employment.objects.bulk_create(
        [Employment(professional=o.professional, unit=unit, started_on=row.started_on) for o, row in accepted],
        batch_size=1000,
    )


def _check_returning(existing: Professional, row: StaffRow, *, unit: Unit, current_unit_id, last_end) -> None:
    if current_unit_id == unit.pk:
        raise DomainError("该人员已在本单位登记，无需重复导入。", code="duplicate_id_number", field="id_number")
    # The name first, and never the registered one: a unit learns where a number works, or anything else of
    # a person it does not employ, only by naming them.
    if not same_name(row.name, existing.name):
        raise DomainError("姓名与系统中该身份证号码登记的姓名不一致，请核对。", code="name_mismatch", field="name")
    if current_unit_id is not None:
        raise DomainError(EMPLOYED_ELSEWHERE, code="employed_elsewhere", field="id_number")
    if last_end is not None and row.started_on <= last_end:
        raise DomainError(
            f"入职日期应晚于该人员上一段任职的离职日期（{last_end:%Y-%m-%d}）。",
            code="started_on_before_last_end", field="started_on",
        )


def _check_start_after_last_employment(professional: Professional, *, started_on: dt.date) -> None:
    last_end = professional.employments.aggregate(last=Max("ended_on"))["last"] if professional.pk else None
    if last_end is not None and started_on <= last_end:
        raise DomainError(
            f"您上一段任职到 {last_end:%Y-%m-%d} 结束，请在该日期之后再注册，或联系单位。",
            code="started_on_before_last_end",
        )


def _current_employment(professional: Professional) -> Employment | None:
    return professional.employments.select_for_update().filter(ended_on__isnull=True).first()


# One answer for every number a unit may not learn anything about (absent, another name, employed nowhere,
# a registration still pending): naming the person is what opens a transfer, and a unit learns nothing else.
NOBODY_TO_TRANSFER = ("系统中没有姓名与该身份证号码相符、且目前在其他单位任职的人员。"
                      "如其目前没有任职单位，请使用“添加人员”或批量导入。")


@transaction.atomic
def transfer_request(*, id_number: str, name: str, to_unit: Unit, on: dt.date, actor,
                     today: dt.date) -> TransferRequest:
    """A unit asks to take in a person another unit employs, from `on`. Nothing moves yet (see
    `transfer_approve`); the requesting unit sees the person's masked number only until the move."""
    if to_unit.pk not in scope_for(actor).unit_ids:
        raise NotFound("未找到该单位。")
    if on > today:
        raise DomainError("调入日期不能晚于今天。", code="transfer_in_future", field="on")
    professional = professional_by_id_number(id_number, for_update=True)
    current = _current_employment(professional) if professional is not None else None
    if (current is None or not same_name(name, professional.name)
            or professional.status == Professional.Status.PENDING):
        raise DomainError(NOBODY_TO_TRANSFER, code="transfer_nobody", field="id_number")
    if current.unit_id == to_unit.pk:
        raise DomainError("该人员已在本单位任职，无需调入。", code="transfer_same_unit")
    if on <= current.started_on:
        # Without the date: the requesting unit has no business reading the person's history.
        raise DomainError("调入日期须晚于该人员在原单位的入职日期，请与本人核实调入日期。",
                          code="transfer_before_start", field="on")
    if TransferRequest.objects.filter(professional=professional, to_unit=to_unit,
                                      status=TransferRequest.Status.PENDING).exists():
        raise DomainError("已提交过该人员的调入申请，正在等待确认，请勿重复提交。", code="transfer_pending")
    request = TransferRequest.objects.create(professional=professional, from_unit_id=current.unit_id,
                                             to_unit=to_unit, on=on, requested_by=actor)
    record_event(actor=actor, action="professional.transfer_request", target=professional, after={
        "request": request.pk, "from_unit": current.unit_id, "to_unit": to_unit.pk, "on": on,
    })
    return request


@transaction.atomic
def transfer_approve(*, request: TransferRequest, actor) -> TransferRequest:
    """The person confirms, or the releasing side approves: the old employment ends the day before `on`, the
    new one starts on `on`; every record stays the person's, and which unit a claim belongs to follows
    from these dates. The person's other pending requests lapse."""
    request, party = _lock_request(request, actor, deciding=True)
    current = _current_employment(request.professional)
    # The employment checked when the request was made, unless someone edited it since in the admin.
    if current is None or current.unit_id != request.from_unit_id or request.on <= current.started_on:
        raise DomainError("该人员的任职记录已发生变化，本申请已不适用，请调入单位撤回后重新申请。",
                          code="transfer_stale")
    current.ended_on = request.on - dt.timedelta(days=1)
    current.save(update_fields=["ended_on"])
    Employment.objects.create(professional=request.professional, unit=request.to_unit, started_on=request.on)
    _decide_request(request, actor, party, TransferRequest.Status.COMPLETED)
    lapsed = list(TransferRequest.objects.select_for_update().filter(
        professional=request.professional, status=TransferRequest.Status.PENDING))
    for other in lapsed:
        other.reason = "该人员已调入其他单位，本申请失效。"
        _decide_request(other, None, "", TransferRequest.Status.LAPSED)
    record_event(actor=actor, action="professional.transfer", target=request.professional, before={
        "unit": current.unit_id, "started_on": current.started_on,
    }, after={"unit": request.to_unit_id, "started_on": request.on, "previous_ended_on": current.ended_on,
              "request": request.pk, "decided_as": party, "lapsed": [other.pk for other in lapsed]})
    return request


@transaction.atomic
def transfer_refuse(*, request: TransferRequest, actor, reason: str) -> TransferRequest:
    """The person, or the releasing side, says no (with a reason the requesting unit reads): nothing moves."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写拒绝原因，调入单位会看到。", code="reason_required", field="reason")
    request, party = _lock_request(request, actor, deciding=True)
    request.reason = reason
    _decide_request(request, actor, party, TransferRequest.Status.REFUSED)
    record_event(actor=actor, action="professional.transfer_refuse", target=request.professional,
                 after={"request": request.pk, "decided_as": party, "reason": reason})
    return request


@transaction.atomic
def transfer_withdraw(*, request: TransferRequest, actor) -> TransferRequest:
    request, party = _lock_request(request, actor, deciding=False)
    _decide_request(request, actor, party, TransferRequest.Status.WITHDRAWN)
    record_event(actor=actor, action="professional.transfer_withdraw", target=request.professional,
                 after={"request": request.pk})
    return request


def _lock_request(request: TransferRequest, actor, *, deciding: bool) -> tuple[TransferRequest, str]:
    """The request locked, and who the actor is to it: a deciding party, or (`deciding=False`) the requesting
    unit; anyone else gets NotFound before learning whether it is still pending."""
    # The person first, then the request: two requests for one person decided at once would otherwise each
    # hold its own request and wait for the other's (to lapse it), a deadlock.
    list(Professional.objects.select_for_update().filter(pk=request.professional_id).values_list("pk"))
    request = (TransferRequest.objects.select_for_update(of=("self",))
               .select_related("professional", "from_unit", "to_unit").get(pk=request.pk))
    if deciding:
        party = transfer_party(request, actor)
    else:
        party = TransferRequest.Party.REQUESTING_UNIT if request.to_unit_id in scope_for(actor).unit_ids else None
    if party is None:
        raise NotFound("未找到该调入申请。")
    if request.status != TransferRequest.Status.PENDING:
        raise DomainError("该调入申请已经处理过了。", code="not_pending")
    return request, party


def _decide_request(request: TransferRequest, actor, party: str, status: str) -> None:
    request.status, request.decided_by, request.decided_as, request.decided_at = (
        status, actor, party, timezone.now())
    request.save(update_fields=["status", "decided_by", "decided_as", "decided_at", "reason"])


# --- accounts -------------------------------------------------------------------------------------------

# Set in the session at log-in when the account must change its password: the middleware then reads the
# session it loads anyway instead of querying on every request. The flag is only ever raised together with a
# new password, which ends every session the account had (Django's session hash), so no session misses it.
MUST_CHANGE_PASSWORD_SESSION_KEY = "must_change_password"


@receiver(user_logged_in, dispatch_uid="records.account_logged_in")
def account_logged_in(sender, request, user, **kwargs):
    if request is not None and password_change_required(user):
        request.session[MUST_CHANGE_PASSWORD_SESSION_KEY] = True


@transaction.atomic
def password_changed(*, user, ip: str | None) -> None:
    """A user changed their own password: audited (what was set is nobody's business, that it was is)."""
    _password_chosen_by_owner(user=user, ip=ip, action="account.password_change")


def password_reset_hours() -> int:
    """How long a reset link works, as the page and the mail say it (PASSWORD_RESET_TIMEOUT is in seconds)."""
    return settings.PASSWORD_RESET_TIMEOUT // 3600


@transaction.atomic
def password_reset_request(*, users, domain: str, use_https: bool, ip: str | None) -> None:
    """A reset link goes by mail to each of `users` (the active accounts filed under the address typed).
    Whoever asked is unknown (anyone may type an address), hence no actor; an address nobody has leaves no
    trace, so the trail holds no address a stranger typed. A worker sends the mail after the answer: sent
    here, it would make the answer for an address on file slower than for one nobody has, telling a stranger
    by the clock what the page does not say."""
    for user in users:
        record_event(actor=None, action="account.password_reset_request", target=user, ip=ip)
        enqueue_on_commit("records.people.tasks.password_reset_mail", user.pk, domain, use_https)


def password_reset_mail_send(*, user_id: int, domain: str, use_https: bool) -> bool:
    """The reset mail, as Django's PasswordResetForm writes it (a token over the password's hash, so it works
    once), to an account that may still reset; False when it no longer may (made inactive meanwhile)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password() or not user.email:
        return False
    context = {
        "user": user, "domain": domain, "protocol": "https" if use_https else "http",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user),
        "reset_hours": password_reset_hours(),
    }
    subject = "".join(render_to_string("registration/password_reset_subject.txt", context).splitlines())
    send_mail(subject, render_to_string("registration/password_reset_email.txt", context), None, [user.email])
    return True


@transaction.atomic
def password_reset_completed(*, user, ip: str | None) -> None:
    """The owner of the mailbox followed the link and set a new password."""
    _password_chosen_by_owner(user=user, ip=ip, action="account.password_reset")


def _password_chosen_by_owner(*, user, ip: str | None, action: str) -> None:
    # A password its owner chose ends a one-time password's hold on the account.
    Account.objects.filter(user=user, must_change_password=True).update(must_change_password=False)
    record_event(actor=user, action=action, target=user, ip=ip)


# Letters and digits a reviewer can read out on the telephone without confusion (no 0/O, 1/l/I): 12 of these are
# ≈ 69 bits, far beyond guessing through the log-in lock-out in the hours before the person uses it.
ONE_TIME_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ONE_TIME_PASSWORD_LENGTH = 12


@transaction.atomic
def password_one_time_set(*, professional: Professional, actor, ip: str | None) -> str:
    """A unit's reviewer gives one of the unit's current staff a one-time password, for someone who forgot theirs
    and has no e-mail on file. The password is returned to be shown once; only its hash is kept, and the trail
    says who reset whom, never what. The account must change it at its next log-in (`Account`)."""
    if not unit_staff(actor).filter(pk=professional.pk).exists():
        raise NotFound("未找到该人员。")
    user = professional.user
    other_roles = user is not None and (
        user.is_staff or user.is_superuser or user.role_memberships.exclude(role=Role.PROFESSIONAL).exists())
    refusal = one_time_password_refusal(has_account=user is not None, is_active=bool(user and user.is_active),
                                        other_roles=other_roles)
    if refusal is not None:
        raise refusal
    password = "".join(secrets.choice(ONE_TIME_PASSWORD_ALPHABET) for _ in range(ONE_TIME_PASSWORD_LENGTH))
    user.set_password(password)
    user.save(update_fields=["password"])
    Account.objects.update_or_create(user=user, defaults={"must_change_password": True})
    record_event(actor=actor, action="account.password_one_time_set", target=user,
                 after={"professional": professional.pk}, ip=ip)
    return password


@transaction.atomic
def contact_update(*, professional: Professional, phone: str, email: str, actor, ip: str | None) -> bool:
    """A professional's own phone and e-mail (already validated); False when neither changed. The e-mail is
    audited old → new; the phone only as changed: the trail is kept for ever and read by more people than may
    read a phone number, which is stored encrypted for that reason (docs/personal-data.md)."""
    if professional.pk not in scope_for(actor).professional_ids:
        raise NotFound("未找到该人员。")
    user = professional.user
    before, after = {}, {}
    if email != user.email:
        before["email"], after["email"] = user.email, email
        user.email = email
        user.save(update_fields=["email"])
    if phone != professional.phone:
        after["phone_changed"] = True
        professional.phone = phone
        professional.save(update_fields=["phone"])
    if not after:
        return False
    record_event(actor=actor, action="account.contact_update", target=professional, before=before, after=after,
                 ip=ip)
    return True


def unit_create(*, name: str, credit_code: str, kind: str, region: Region | None,
                authority: IndustryAuthority | None, actor) -> Unit:
    """City HR anywhere, county HR in its own county. `credit_code` is already normalised and valid."""
    scope = scope_for(actor)
    if region is None:
        if not scope.is_city and len(scope.region_ids) == 1:
            region = Region.objects.get(pk=next(iter(scope.region_ids)))
        else:
            raise DomainError("请选择单位所属区域。", code="region_required", field="region")
    if not scope.is_city and region.pk not in scope.region_ids:
        raise NotFound("未找到该区域。")
    if authority is not None and authority.region_id not in (region.pk, region.parent_id):
        raise DomainError(
            f"行业主管部门“{authority.name}”不在{region.name}或其上级区域，请重新选择。",
            code="authority_region_mismatch", field="authority",
        )
    if Unit.objects.filter(credit_code=credit_code).exists():
        raise DomainError("该统一社会信用代码已登记，请勿重复添加。", code="duplicate_credit_code", field="credit_code")
    unit = Unit.objects.create(name=name, credit_code=credit_code, kind=kind, region=region, authority=authority)
    record_event(actor=actor, action="unit.create", target=unit, after={
        "name": name, "credit_code": credit_code, "region": region.pk, "authority": authority and authority.pk,
    })
    return unit


CITY_HR_GROUP = "市人社局管理员"


CITY_HR_MODELS = (
    ("audits", "workingdayoverride"),
    ("audits", "officialcalendaryear"),
    ("records", "makeupexemption"),
    ("records", "requirementpolicy"),
    ("platforms", "learningplatform"),
    ("platforms", "trainingbase"),
)


CITY_HR_ACTIONS = ("add", "change", "view")  # no delete: the city corrects a row, it does not erase history


def city_hr_group() -> Group:
    """The group with exactly the city bureau's admin permissions (created or brought up to date)."""
    group, _ = Group.objects.get_or_create(name=CITY_HR_GROUP)
    wanted = {(app, f"{action}_{model}") for app, model in CITY_HR_MODELS for action in CITY_HR_ACTIONS}
    permissions = [
        p for p in Permission.objects.filter(content_type__app_label__in={app for app, _ in CITY_HR_MODELS})
        .select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    if len(permissions) != len(wanted):
        found = {(p.content_type.app_label, p.codename) for p in permissions}
        raise LookupError(f"missing permissions {sorted(wanted - found)}: run migrate first")
    group.permissions.set(permissions)
    return group


@transaction.atomic
def sync_staff_access(*, user) -> None:
    """Give a city_hr member the admin group and staff status; take the group away when the role goes,
    and staff status too unless something else (superuser, other groups or permissions) still needs it."""
    is_city_hr = user.role_memberships.filter(role=Role.CITY_HR).exists()
    in_group = user.groups.filter(name=CITY_HR_GROUP).exists()
    if is_city_hr:
        if not in_group:
            user.groups.add(city_hr_group())
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
    elif in_group:
        user.groups.remove(*user.groups.filter(name=CITY_HR_GROUP))
        if user.is_staff and not (
            user.is_superuser or user.groups.exists() or user.user_permissions.exists()
        ):
            user.is_staff = False
            user.save(update_fields=["is_staff"])


@receiver(post_save, sender=RoleMembership, dispatch_uid="records.membership_saved")
def membership_saved(sender, instance, raw=False, **kwargs):
    if not raw:  # loaddata writes fixtures as they are
        sync_staff_access(user=instance.user)


@receiver(post_delete, sender=RoleMembership, dispatch_uid="records.membership_deleted")
def membership_deleted(sender, instance, **kwargs):
    # Deleting a user cascades here: look the user up rather than trust the instance's cached one.
    user = get_user_model().objects.filter(pk=instance.user_id).first()
    if user is not None:
        sync_staff_access(user=user)
