"""Where a webhook may post: the kernel's rules (``meihao.check_webhook_target``), under the names this plugin used."""

from __future__ import annotations

from meihao import WebhookTarget as Target
from meihao import WebhookTargetRefused as TargetRefused
from meihao import check_webhook_target as check_target

__all__ = ["Target", "TargetRefused", "check_target"]
