"""Demonstration and benchmark content: a realistic counter-terrorism STIX 2.1 sample
(`build_sample`) and fast, deterministic indicator generators (`generate_indicators`).
"""

from hub.demo.generate import envelope, generate_indicators
from hub.demo.sample import RED_RECIPIENTS_EXTENSION, Publisher, build_sample

__all__ = [
    "RED_RECIPIENTS_EXTENSION",
    "Publisher",
    "build_sample",
    "envelope",
    "generate_indicators",
]
