"""Talent evaluation by results (人才评价) and enterprise chief technology officers (首席技术官)."""
