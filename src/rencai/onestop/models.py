"""One-stop services: service items, applications and their steps, gold cards, vouchers, loans."""
