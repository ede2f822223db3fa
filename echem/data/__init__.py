"""Package data: the synthetic operando dataset written by fixtures/make_fixtures.py."""
