"""The registry's work in the background: the password reset mail, sent after the page has answered."""
import smtplib

from celery import shared_task

from records.people.services import password_reset_mail_send


# A mail server that refuses or is out of reach for a moment: try again (a new token each time, the same link
# validity), then give up; the person can ask again.
@shared_task(autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=True, max_retries=3)
def password_reset_mail(user_id: int, domain: str, use_https: bool) -> bool:
    return password_reset_mail_send(user_id=user_id, domain=domain, use_https=use_https)
