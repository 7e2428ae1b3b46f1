"""Recruitment (招才引智): demands, stations and events, intermediaries and referrals, placements, rewards."""
