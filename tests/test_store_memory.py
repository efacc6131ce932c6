"""The store contract on the in-memory backend."""

from simulator.store import Record, open_store
from tests.store_contract import make_contract_tests


def fresh():
    return open_store("memory://")


def tamper(store, position, column, value):
    rows = store._rows_list
    row = list(rows[position])
    row[Record._fields.index(column)] = value
    rows[position] = tuple(row)


globals().update(make_contract_tests("Memory", fresh, tamper=tamper))
