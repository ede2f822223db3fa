"""PAR PowerSuite text export. (Being written; FORMATS is filled by its reader.)"""

FORMATS: tuple = ()
