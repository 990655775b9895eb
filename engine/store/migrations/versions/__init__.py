"""Schema migrations, one module per revision.

An `upgrade()` may run past the house limit of 50 lines a function: it is one straight list of
the tables and indexes a revision creates, which helper functions would only scatter.
"""
