"""BioLogic EC-Lab .mpr (binary) and .mpt (text). (Being written; FORMATS is filled by its reader.)"""

FORMATS: tuple = ()
