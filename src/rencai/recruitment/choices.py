"""The states and kinds of recruitment, as enums (never string literals in logic)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemandState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待县级审核")
    RETURNED = "returned", _("退回修改")
    PUBLISHED = "published", _("已发布")
    FILLED = "filled", _("已招满")
    EXPIRED = "expired", _("已过期")
    CLOSED = "closed", _("已关闭")


class WorkMode(models.TextChoices):
    FULL_TIME = "full_time", _("全职")
    FLEXIBLE = "flexible", _("柔性引才")


class Place(models.TextChoices):
    """Where the position is: in Quzhou, or in one of its enclaves (人才飞地) in Hangzhou and Shanghai."""

    LOCAL = "local", _("衢州本地")
    HANGZHOU_ENCLAVE = "hangzhou_enclave", _("杭州飞地")
    SHANGHAI_ENCLAVE = "shanghai_enclave", _("上海飞地")


class Channel(models.TextChoices):
    """What brought an arrival: attribution picks the first that applies, in this order."""

    REFERRAL = "referral", _("中介推荐")
    EVENT = "event", _("推介会")
    STATION = "station", _("人才工作站")
    PROJECT = "project", _("项目引才")
    DIRECT = "direct", _("自主引进")


class LeadOutcome(models.TextChoices):
    NEW = "new", _("新线索")
    CONTACTED = "contacted", _("已联系")
    INTERVIEWED = "interviewed", _("已面试")
    HIRED = "hired", _("已入职")
    DECLINED = "declined", _("未成功")


class ReferralState(models.TextChoices):
    REFERRED = "referred", _("已推荐")
    INTERVIEWED = "interviewed", _("已面试")
    PLACED = "placed", _("已到岗")
    FAILED = "failed", _("未成功")
    WITHDRAWN = "withdrawn", _("已撤回")


# A referral in these states holds the candidate for its agency: the first valid one wins
LIVE_REFERRAL_STATES = (ReferralState.REFERRED, ReferralState.INTERVIEWED, ReferralState.PLACED)


class PlacementState(models.TextChoices):
    PENDING = "pending", _("待登记核实")
    CONFIRMED = "confirmed", _("已核实到岗")
    RETAINED = "retained", _("已留任满期")
    LEFT_EARLY = "left_early", _("提前离职")


class RewardPurpose(models.TextChoices):
    AGENCY_PLACEMENT = "agency_placement", _("中介引才奖励")
    AGENCY_BONUS = "agency_bonus", _("中介年度引才加奖")
    PLATFORM_ENTERPRISE = "platform_enterprise", _("平台型企业引才重奖")


class RewardState(models.TextChoices):
    ACTIVE = "active", _("兑现中")
    COMPLETED = "completed", _("已兑现")
    CANCELLED = "cancelled", _("已取消")


class InstalmentState(models.TextChoices):
    SCHEDULED = "scheduled", _("待支付")
    PAID = "paid", _("已支付")
    CANCELLED = "cancelled", _("已取消")
    CLAWED_BACK = "clawed_back", _("已追回")
