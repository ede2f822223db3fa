"""Physical constants used by echem, with their sources.

All values are module-level constants (read-only by convention); functions that
use them accept overrides as keyword arguments instead of mutating these.
"""

from __future__ import annotations

#: Faraday constant, C mol^-1. Exact since the 2019 SI redefinition
#: (CODATA 2018; ``scipy.constants.physical_constants["Faraday constant"]``).
FARADAY_C_PER_MOL: float = 96485.33212

#: Molar mass of lithium, g mol^-1. IUPAC conventional atomic weight
#: (Prohaska et al., Pure Appl. Chem. 2022, 94, 573); the older 6.941 differs by 0.014 %.
LI_MOLAR_MASS_G_PER_MOL: float = 6.94

#: Density of lithium metal at 20 degC, g cm^-3 (CRC Handbook of Chemistry and Physics).
LI_DENSITY_G_PER_CM3: float = 0.534

#: Coulombs in one milliampere-hour.
C_PER_MAH: float = 3.6

#: Cubic micrometres in one cubic centimetre.
UM3_PER_CM3: float = 1e12

#: Molar masses for the reductive decomposition Li3PS4 + 8 Li -> 4 Li2S + Li3P, g mol^-1.
LI3PS4_MOLAR_MASS_G_PER_MOL: float = 180.03
LI2S_MOLAR_MASS_G_PER_MOL: float = 45.94
LI3P_MOLAR_MASS_G_PER_MOL: float = 51.79

#: Densities, g cm^-3: Li2S and Li3P (crystalline), Li3PS4 glass (gamma phase is 1.93).
LI2S_DENSITY_G_PER_CM3: float = 1.66
LI3P_DENSITY_G_PER_CM3: float = 1.43
LI3PS4_GLASS_DENSITY_G_PER_CM3: float = 1.87
