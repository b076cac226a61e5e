"""The e-mail delivery channel: reminders as plain-text mail over SMTP (aiosmtplib), with a one-click unsubscribe.

Configured from the environment, read at each send so a change needs no restart of the
plugin: ``MEIHAO_SMTP_HOST`` (default ``localhost``), ``MEIHAO_SMTP_PORT`` (25),
``MEIHAO_SMTP_FROM`` (``meihao@localhost``), ``MEIHAO_SMTP_USERNAME`` /
``MEIHAO_SMTP_PASSWORD`` (optional), ``MEIHAO_SMTP_SECURITY`` (``none``, ``starttls`` or
``tls``). Recipients need an address: ``meihao_contact`` rows on channel ``email`` (staff
fall back to the e-mail of their account).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from meihao import Channel, Message, PermanentFailure, hookimpl, normalise_email

__version__ = "1.0"


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 25
    sender: str = "meihao@localhost"
    username: str = ""
    password: str = ""
    security: str = "none"

    @classmethod
    def from_environment(cls) -> SmtpConfig:
        env = os.environ
        return cls(
            host=env.get("MEIHAO_SMTP_HOST", "localhost"),
            port=int(env.get("MEIHAO_SMTP_PORT", "25")),
            sender=env.get("MEIHAO_SMTP_FROM", "meihao@localhost"),
            username=env.get("MEIHAO_SMTP_USERNAME", ""),
            password=env.get("MEIHAO_SMTP_PASSWORD", ""),
            security=env.get("MEIHAO_SMTP_SECURITY", "none"),
        )


def build_email(message: Message, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.address
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=False)
    # Stable across retries: a receiver (or the MTA) can drop a second copy.
    mail["Message-ID"] = f"<{message.delivery_id}@meihao>"
    mail["X-Meihao-Delivery"] = message.delivery_id
    # RFC 8058 one-click unsubscribe: mail clients POST to the link, no login needed (the API's
    # address: the page in the footer, for people, asks for a form token).
    mail["List-Unsubscribe"] = f"<{message.list_unsubscribe_url or message.unsubscribe_url}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer = (
        f"\n\n--\nUnsubscribe from these reminders: {message.unsubscribe_url}"
        if message.language == "en"
        else f"\n\n--\n退订此类提醒：{message.unsubscribe_url}"
    )
    mail.set_content(message.body + footer)
    return mail


async def send_email(message: Message) -> None:
    config = SmtpConfig.from_environment()
    mail = build_email(message, config.sender)
    try:
        await aiosmtplib.send(
            mail,
            hostname=config.host,
            port=config.port,
            username=config.username or None,
            password=config.password or None,
            use_tls=config.security == "tls",
            start_tls=True if config.security == "starttls" else False,
            timeout=30,
        )
    except aiosmtplib.SMTPRecipientsRefused as err:
        if all(500 <= refused.code < 600 for refused in err.recipients):
            raise PermanentFailure(f"recipient refused: {err}") from err
        raise
    except aiosmtplib.SMTPResponseException as err:
        if 500 <= err.code < 600:
            raise PermanentFailure(f"SMTP {err.code}: {err.message}") from err
        raise


@hookimpl
def meihao_channels() -> list[Channel]:
    return [Channel("email", "电子邮件", "E-mail", send_email, for_residents=True, needs_address=True, check_address=check_address)]


async def check_address(address: str) -> None:
    """Save-time check: one plain address, no line breaks (a CR/LF in ``To`` would add headers)."""
    normalise_email(address, "address")
