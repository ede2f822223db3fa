"""Scribner ZPlot .z. (Being written; FORMATS is filled by its reader.)"""

FORMATS: tuple = ()
