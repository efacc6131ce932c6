"""CAMEO event codes and their Goldstein weights, from the table shipped as package data.

The table is GDELT 1.0's CAMEO -> Goldstein lookup joined with its code labels
(see `data/CAMEO_README.md` for provenance and the two repairs made to the public copies).
Codes are strings: leading zeros matter ("0871" is not "871").
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import attrs


@attrs.frozen
class Code:
    code: str
    label: str
    goldstein: float


@cache
def table() -> dict[str, Code]:
    """Every known CAMEO code, by code string."""
    with (
        resources.files("simulator")
        .joinpath("data/cameo_goldstein.csv")
        .open(encoding="utf-8", newline="") as f
    ):
        return {
            row["code"]: Code(row["code"], row["label"], float(row["goldstein"]))
            for row in csv.DictReader(f)
        }


def goldstein(code: str) -> float:
    """The Goldstein weight of *code* (-10 conflict .. +10 cooperation); KeyError if unknown."""
    return table()[code].goldstein


def is_known(code: str) -> bool:
    return code in table()
