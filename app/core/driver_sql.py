"""SQLAlchemy statements compiled once into the driver's own SQL and positional arguments.

For the few reads so hot that SQLAlchemy's work per execution (connection and result
wrappers, compiled-cache lookup, parameter processing: some 60 us) costs several times what
SQLite takes to answer them (a few us): see organisations/fast_reads.py. The statement is
still written once, in SQLAlchemy, by the code that owns it (the policy's visibility rules
included); only its execution skips the layers."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True, slots=True)
class DriverStatement:
    sql: str
    fixed: tuple[Any, ...]  # every argument, ready for the driver, the variable ones as samples
    variables: tuple[tuple[int, str, Callable[[Any], Any] | None], ...]  # position, name, processor

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        arguments = list(self.fixed)
        for position, name, process in self.variables:
            value = values[name]
            arguments[position] = value if process is None or value is None else process(value)
        return arguments


def driver_statement(statement: ClauseElement, dialect: Dialect,
                     samples: Mapping[str, Any]) -> DriverStatement:
    """`statement` for `dialect`'s driver (positional parameters). `samples` holds a value of
    each parameter that varies per execution (scalar, never an expanding IN); every other
    parameter keeps the value the statement was built with."""
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError("a statement, not DDL")
    expanded = compiled.construct_expanded_state(dict(samples))
    if expanded.positiontup is None:
        raise ValueError(f"{dialect.name}'s driver takes named parameters")
    fixed: list[Any] = []
    variables = []
    for position, name in enumerate(expanded.positiontup):
        process = expanded.processors.get(name)
        if process is None and name in compiled.binds:
            bind_type = compiled.binds[name].type
            process = bind_type.dialect_impl(dialect).bind_processor(dialect)
        value = expanded.parameters[name]
        if name in samples:
            variables.append((position, name, process))
        fixed.append(value if process is None or value is None else process(value))
    return DriverStatement(expanded.statement, tuple(fixed), tuple(variables))
