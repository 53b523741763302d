"""Figures a scenario reports on the console, past behave's output capture, so that CI's log keeps them."""

from __future__ import annotations

import sys


def report(text: str) -> None:
    print(f"\n{text}", file=sys.__stdout__, flush=True)
