"""Generic CSV / delimited text (headerless freq,Z',Z'' or headered with units). (Being written; FORMATS is filled by its reader.)"""

FORMATS: tuple = ()
