"""Gamry .DTA. (Being written; FORMATS is filled by its reader.)"""

FORMATS: tuple = ()
