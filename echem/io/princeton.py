"""Princeton Applied Research: VersaStudio .par and Parstat text. (Being written; FORMATS is filled by its reader.)"""

FORMATS: tuple = ()
