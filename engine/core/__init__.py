"""The pure model and rules: specs, deadlines, calendars, compile, status, escalation.

Nothing here does I/O or reads the clock (tests/test_core_purity.py walks the package).
"""
