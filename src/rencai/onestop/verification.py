"""Gold-card verification by providers: signature, then the card's current status, and a log of every check.

`verify_card` is the one entry point (the API and any page call it). A check costs one indexed query for
the card's status (never cached, so a revocation takes effect on the very next check) and one log row.
"""

import base64
import datetime as dt
import time
from dataclasses import asdict, dataclass, field

from django.utils import timezone
from ninja import Router, Schema
from ninja.security import HttpBearer, SessionAuth

from rencai.accounts.auth import TokenAuth
from rencai.accounts.models import ApiToken
from rencai.core.errors import PermissionDenied
from rencai.onestop.models import CardVerification, GoldCard
from rencai.onestop.tokens import InvalidCardToken, public_key_bytes, public_key_pem, verify_token

# Who may verify a card: providers (hospitals, sights, banks, schools) and officers.
VERIFIER_ROLES = frozenset({"provider", "city_org_dept", "county_org_dept", "department"})

OK, REVOKED, EXPIRED, INVALID, UNKNOWN = "ok", "revoked", "expired", "invalid", "unknown"

MESSAGES = {
    OK: ("人才金卡有效", "The gold card is valid"),
    REVOKED: ("人才金卡已注销", "The gold card has been revoked"),
    EXPIRED: ("人才金卡已过有效期", "The gold card has expired"),
    INVALID: ("二维码无效，不是本平台签发的人才金卡", "The code is not a gold card issued by this platform"),
    UNKNOWN: ("查无此卡", "No such card"),
}


@dataclass(frozen=True)
class VerificationResult:
    result: str  # ok, revoked, expired, invalid, unknown
    card_number: str = ""
    tier: str = ""
    valid_until: dt.date | None = None
    holder: str = ""  # masked name, e.g. 张*
    card_id: int | None = field(default=None, repr=False)  # for the log, not shown

    @property
    def ok(self) -> bool:
        return self.result == OK

    @property
    def message_zh(self) -> str:
        return MESSAGES[self.result][0]

    @property
    def message_en(self) -> str:
        return MESSAGES[self.result][1]

    def as_dict(self) -> dict:
        data = asdict(self)
        del data["card_id"]
        data["valid_until"] = self.valid_until.isoformat() if self.valid_until else None
        data["message_zh"], data["message_en"] = MESSAGES[self.result]
        return data


def may_verify(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in VERIFIER_ROLES))


def mask_name(name: str) -> str:
    """The holder's surname only: 张三 -> 张*, 欧阳娜娜 -> 欧***."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def verify_card(
    *, provider, token: str, channel: str = "online", today: dt.date | None = None
) -> VerificationResult:
    """Check a card's token and current status for `provider`, and log the check (who, which card, when)."""
    if not may_verify(provider):
        raise PermissionDenied(
            "只有服务提供方和工作人员可以核验人才金卡", "Only providers and officers may verify cards"
        )
    result = _check(token, today or timezone.localdate())
    _log(provider=provider, result=result, channel=channel)
    return result


def _check(token: str, today: dt.date) -> VerificationResult:
    try:
        claims = verify_token(token)
    except InvalidCardToken:
        return VerificationResult(INVALID)
    card = (
        GoldCard.objects.filter(card_number=claims.card_number)
        .values_list("id", "status", "valid_until", "tier", "talent__name")
        .first()
    )
    if card is None:
        return VerificationResult(UNKNOWN, card_number=claims.card_number)
    card_id, status, valid_until, tier, name = card
    if status == "revoked":
        outcome = REVOKED
    elif today > valid_until:
        outcome = EXPIRED
    else:
        outcome = OK
    return VerificationResult(
        outcome,
        card_number=claims.card_number,
        tier=tier,
        valid_until=valid_until,
        holder=mask_name(name),
        card_id=card_id,
    )


def _log(*, provider, result: VerificationResult, channel: str) -> None:
    CardVerification.objects.create(
        card_id=result.card_id,
        card_number=result.card_number[:20],
        provider=provider,
        verified_at=timezone.now(),
        result=result.result,
        channel=channel,
    )


# HTTP ---------------------------------------------------------------------------------------------

_token_users: dict[str, tuple[float, object]] = {}
TOKEN_CACHE_SECONDS = 30.0


class CachedTokenAuth(HttpBearer):
    """Bearer-token authentication remembering a token's user for 30 s in this process.

    Providers' scanners call this endpoint thousands of times a minute with the same token; a revoked
    token or deactivated user therefore stays usable here for at most TOKEN_CACHE_SECONDS.
    """

    def authenticate(self, request, token: str):
        key_hash = ApiToken.hash_key(token)
        now = time.monotonic()
        cached = _token_users.get(key_hash)
        if cached is not None and cached[0] > now:
            user = cached[1]
        else:
            user = TokenAuth().authenticate(request, token)
            if user is None:
                _token_users.pop(key_hash, None)
                return None
            if len(_token_users) > 10_000:
                _token_users.clear()
            _token_users[key_hash] = (now + TOKEN_CACHE_SECONDS, user)
        request.user = user
        return user


router = Router(tags=["cards"], auth=[CachedTokenAuth(), SessionAuth()])


class VerifyIn(Schema):
    token: str


@router.post("/cards/verify", summary="核验人才金卡 / Verify a gold card")
def verify(request, body: VerifyIn):
    result = verify_card(provider=request.auth, token=body.token, channel="online")
    return result.as_dict()


@router.get("/cards/public-key", auth=None, summary="金卡验签公钥 / Card-signing public key")
def public_key(request):
    return {
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(public_key_bytes()).decode(),
        "pem": public_key_pem(),
    }
