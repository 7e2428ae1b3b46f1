"""Password rules beyond Django's own validators (several kinds of character, more length for privileged
accounts; AUTH_PASSWORD_VALIDATORS in settings lists them all) and the change of one's own password."""

import string

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from rencai.accounts.models import User
from rencai.core import access, audit

CHARACTER_CLASSES = (
    set(string.ascii_lowercase),
    set(string.ascii_uppercase),
    set(string.digits),
)


def character_classes(password: str) -> int:
    """How many of the four kinds a password mixes: lower case, upper case, digits, anything else."""
    kinds = sum(1 for kind in CHARACTER_CLASSES if kind.intersection(password))
    others = any(not any(char in kind for kind in CHARACTER_CLASSES) for char in password)
    return kinds + int(others)


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_uniform")

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、其他符号中的至少 %(count)d 种。") % {
            "count": self.min_classes
        }


class PrivilegedMinimumLengthValidator:
    """A longer minimum for privileged accounts (officers, reviewers, administrators), whose password guards
    personal data of others; every account is held to MinimumLengthValidator besides."""

    def __init__(self, min_length: int = 12):
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        # A User instance counts as signed in even before it is saved, so the admin's add form is covered
        if user is not None and access.is_privileged(user) and len(password) < self.min_length:
            raise ValidationError(self.get_help_text(), code="password_too_short")

    def get_help_text(self) -> str:
        return _("工作人员和管理员的密码至少 %(count)d 个字符。") % {"count": self.min_length}


def password_change(*, actor: User, new_password: str, ip: str = "") -> None:
    """Set the user's own new password (already checked by PasswordChangeForm against the old one and the
    validators), audited without either password."""
    with transaction.atomic():
        actor.set_password(new_password)
        actor.save(update_fields=["password"])
        audit.record(actor=actor, action="accounts.password_change", obj=actor, ip=ip)
