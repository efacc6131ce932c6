"""Country codes and names: the ISO 3166-1 alpha-3 codes, and English names to those codes.

GDELT and CAMEO actor codes start with an ISO-3 code when the actor belongs to a country
("AZEGOV", "ARMMIL"); ICEWS and ACLED name countries in words ("Russian Federation", "Russia").
The names below cover every ISO country by its common English name plus the variants the
three data sets use; a name not listed is kept by the importer as a sanitised id instead.
"""

from __future__ import annotations

import re

# ISO 3166-1 alpha-3, plus XKX (Kosovo, user-assigned and used by GDELT and ACLED).
ISO3 = frozenset(
    """
    ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA
    BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN
    CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU
    EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB
    GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL
    ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO
    LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR
    MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER
    PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM
    SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK
    TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM
    VUT WLF WSM YEM ZAF ZMB ZWE XKX
    """.split()  # noqa: SIM905
)

# "CODE: name; variant; ..." one country a line: the names ICEWS and ACLED write.
_NAMES = """
AFG: Afghanistan
ALB: Albania
DZA: Algeria
AGO: Angola
ARG: Argentina
ARM: Armenia
AUS: Australia
AUT: Austria
AZE: Azerbaijan
BHR: Bahrain
BGD: Bangladesh
BLR: Belarus
BEL: Belgium
BEN: Benin
BTN: Bhutan
BOL: Bolivia; Bolivia, Plurinational State of
BIH: Bosnia and Herzegovina; Bosnia-Herzegovina
BWA: Botswana
BRA: Brazil
BGR: Bulgaria
BFA: Burkina Faso
BDI: Burundi
KHM: Cambodia
CMR: Cameroon
CAN: Canada
CAF: Central African Republic
TCD: Chad
CHL: Chile
CHN: China
COL: Colombia
COD: Democratic Republic of Congo; Democratic Republic of the Congo; DR Congo
COD: Congo, The Democratic Republic of the; Congo, Democratic Republic of the
COG: Republic of Congo; Republic of the Congo; Congo
CRI: Costa Rica
CIV: Ivory Coast; Cote d'Ivoire; Côte d'Ivoire
HRV: Croatia
CUB: Cuba
CYP: Cyprus
CZE: Czech Republic; Czechia
DNK: Denmark
DJI: Djibouti
DOM: Dominican Republic
ECU: Ecuador
EGY: Egypt
SLV: El Salvador
GNQ: Equatorial Guinea
ERI: Eritrea
EST: Estonia
SWZ: eSwatini; Eswatini; Swaziland
ETH: Ethiopia
FIN: Finland
FRA: France
GAB: Gabon
GMB: Gambia; The Gambia
GEO: Georgia
DEU: Germany
GHA: Ghana
GRC: Greece
GTM: Guatemala
GIN: Guinea
GNB: Guinea-Bissau
GUY: Guyana
HTI: Haiti
HND: Honduras
HUN: Hungary
IND: India
IDN: Indonesia
IRN: Iran; Iran, Islamic Republic of
IRQ: Iraq
IRL: Ireland
ISR: Israel
ITA: Italy
JAM: Jamaica
JPN: Japan
JOR: Jordan
KAZ: Kazakhstan
KEN: Kenya
XKX: Kosovo
KWT: Kuwait
KGZ: Kyrgyzstan
LAO: Laos; Lao People's Democratic Republic
LVA: Latvia
LBN: Lebanon
LSO: Lesotho
LBR: Liberia
LBY: Libya; Libyan Arab Jamahiriya
LTU: Lithuania
LUX: Luxembourg
MDG: Madagascar
MWI: Malawi
MYS: Malaysia
MLI: Mali
MRT: Mauritania
MEX: Mexico
MDA: Moldova; Moldova, Republic of
MNG: Mongolia
MNE: Montenegro
MAR: Morocco
MOZ: Mozambique
MMR: Myanmar; Burma
NAM: Namibia
NPL: Nepal
NLD: Netherlands
NZL: New Zealand
NIC: Nicaragua
NER: Niger
NGA: Nigeria
PRK: North Korea; Korea, Democratic People's Republic of; Democratic People's Republic of Korea
MKD: North Macedonia; Macedonia; Macedonia, the former Yugoslav Republic of
NOR: Norway
OMN: Oman
PAK: Pakistan
PSE: Palestine; Occupied Palestinian Territory; Palestinian Territory, Occupied; State of Palestine
PAN: Panama
PNG: Papua New Guinea
PRY: Paraguay
PER: Peru
PHL: Philippines
POL: Poland
PRT: Portugal
QAT: Qatar
ROU: Romania
RUS: Russia; Russian Federation
RWA: Rwanda
SAU: Saudi Arabia
SEN: Senegal
SRB: Serbia
SLE: Sierra Leone
SGP: Singapore
SVK: Slovakia
SVN: Slovenia
SOM: Somalia
ZAF: South Africa
KOR: South Korea; Korea, Republic of; Republic of Korea
SSD: South Sudan
ESP: Spain
LKA: Sri Lanka
SDN: Sudan
SWE: Sweden
CHE: Switzerland
SYR: Syria; Syrian Arab Republic
TWN: Taiwan; Taiwan, Province of China
TJK: Tajikistan
TZA: Tanzania; Tanzania, United Republic of
THA: Thailand
TLS: East Timor; Timor-Leste
TGO: Togo
TTO: Trinidad and Tobago
TUN: Tunisia
TUR: Turkey; Türkiye; Turkiye
TKM: Turkmenistan
UGA: Uganda
UKR: Ukraine
ARE: United Arab Emirates
GBR: United Kingdom; UK
USA: United States; United States of America; USA
URY: Uruguay
UZB: Uzbekistan
VEN: Venezuela; Venezuela, Bolivarian Republic of
VNM: Vietnam; Viet Nam
ESH: Western Sahara
YEM: Yemen
ZMB: Zambia
ZWE: Zimbabwe
"""


def normal(text: str) -> str:
    """*text* as names are compared: case-folded, inner whitespace collapsed."""
    return " ".join(text.split()).casefold()


NAMES: dict[str, str] = {
    normal(name): code
    for line in _NAMES.strip().splitlines()
    for code, names in [line.split(": ", 1)]
    for name in names.split("; ")
}
assert set(NAMES.values()) <= ISO3


def iso3(name: str) -> str | None:
    """The ISO-3 code of the country called *name* (or written as its code), else None."""
    if len(name) == 3 and name.upper() in ISO3:
        return name.upper()
    return NAMES.get(normal(name))


_UNSAFE = re.compile(r"[^\w.\-]+")


def sanitise(text: str) -> str:
    """*text* as an id: runs of anything but letters, digits, `.`, `-` and `_` become `_`."""
    return _UNSAFE.sub("_", text.strip()).strip("_")
