"""Recruitment data: demands, stations and events, agencies and referrals, placements, reward schemes."""

from rencai.recruitment.models.channels import Candidate, Event, EventRegistration, Lead, Station
from rencai.recruitment.models.demands import Demand
from rencai.recruitment.models.intermediaries import Agency, AgencyMember, Referral
from rencai.recruitment.models.placements import Placement
from rencai.recruitment.models.rewards import Reward, RewardCap, RewardInstalment, RewardScheme

__all__ = [
    "Agency",
    "AgencyMember",
    "Candidate",
    "Demand",
    "Event",
    "EventRegistration",
    "Lead",
    "Placement",
    "Referral",
    "Reward",
    "RewardCap",
    "RewardInstalment",
    "RewardScheme",
    "Station",
]
