"""The one input sanitiser: every string a request hands a resolver passes here first.

Before execution, `InputSanitizer` walks every argument of every field in the operation —
literals and variables alike, nested input objects and lists included — and refuses the
request with `BAD_USER_INPUT` (and the argument's path in `extensions.field`) when a string

- holds a lone surrogate (`"\\ud800"`: not Unicode; PostgreSQL and SQLite cannot store it),
- holds NUL or another control character except newline and tab (PostgreSQL refuses NUL in
  text, SQLite would store it silently: the engines must agree),
- holds a bidirectional override (U+202A–U+202E, U+2066–U+2069) in a name, where it makes
  one organisation's name display as another's,
- is longer than its kind allows: names, filter texts (SQLite's LIKE gives up on 50 KB
  patterns), free text, anything else. These are outer bounds; domains keep their own
  tighter rules and codes (`NAME_TOO_LONG`, …).

One mechanism for every resolver (issue 10 §4): no resolver repeats these checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

BAD_INPUT = "BAD_USER_INPUT"

# Control characters (C0 but \t and \n, DEL, C1) and UTF-16 surrogates (only lone ones
# survive JSON decoding into a Python str).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")

NAME_FIELDS = frozenset({"name", "displayName", "datasetName", "datasetHolder", "label"})
FILTER_ARGUMENTS = frozenset({"filter"})
FREE_TEXT_FIELDS = frozenset(
    {
        "description",
        "text",
        "reason",
        "note",
        "resolution",
        "scenario",
        "scenarios",
        "businessScope",
        "legalBasis",
        "shareConditions",
        "shareLegalBasis",
        "minorsDataHandling",
        "sensitiveDataHandling",
        "purpose",
        "purposes",
        "notice",
    }
)
# Outer bounds per kind, in characters (domains' own limits are lower).
MAX_LENGTH = {"name": 1_000, "filter": 1_000, "text": 20_000, "other": 4_000}


def field_kind(path: tuple[str, ...]) -> str:
    """`name`, `filter`, `text` or `other`, from where the string sits in the arguments."""
    if any(part in FILTER_ARGUMENTS for part in path):
        return "filter"
    last = next((part for part in reversed(path) if not part.isdigit()), "")
    if last in NAME_FIELDS:
        return "name"
    if last in FREE_TEXT_FIELDS:
        return "text"
    return "other"


def string_problem(value: str, kind: str) -> str | None:
    """Why `value` is refused as a string of `kind`, or None."""
    if len(value) > MAX_LENGTH[kind]:
        return f"is longer than {MAX_LENGTH[kind]:,} characters"
    bad = _FORBIDDEN.search(value)
    if bad:
        char = bad.group()
        what = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
        return f"contains {what} (U+{ord(char):04X}); only newline and tab are allowed"
    if kind == "name":
        bidi = _BIDI.search(value)
        if bidi:
            return f"contains a bidirectional override (U+{ord(bidi.group()):04X})"
    return None


def _values(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string in a decoded variable value, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _values(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, (*path, str(index)))


def _literal(
    node: ValueNode,
    path: tuple[str, ...],
    variables: Mapping[str, Any],
    defaults: Mapping[str, ValueNode],
) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string in an argument's value: literals, and variables where they are used."""
    if isinstance(node, StringValueNode):
        yield path, node.value
    elif isinstance(node, VariableNode):
        name = node.name.value
        if name in variables:
            yield from _values(variables[name], path)
        elif name in defaults:  # not sent: the operation's declared default reaches resolvers
            yield from _literal(defaults[name], path, {}, {})
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _literal(field.value, (*path, field.name.value), variables, defaults)
    elif isinstance(node, ListValueNode):
        for index, item in enumerate(node.values):
            yield from _literal(item, (*path, str(index)), variables, defaults)


def argument_strings(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    defaults: Mapping[str, ValueNode],
    seen: frozenset[str] = frozenset(),
) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string passed to any field's arguments, with the path `field.argument.key…`."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            for argument in selection.arguments or ():
                path = (selection.name.value, argument.name.value)
                yield from _literal(argument.value, path, variables, defaults)
            yield from argument_strings(
                selection.selection_set, fragments, variables, defaults, seen
            )
        elif isinstance(selection, InlineFragmentNode):
            yield from argument_strings(
                selection.selection_set, fragments, variables, defaults, seen
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from argument_strings(
                    fragment.selection_set, fragments, variables, defaults, seen | {name}
                )


def input_problems(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> list[GraphQLError]:
    """One error per refused string (at most a few: the first tells the client enough)."""
    errors: list[GraphQLError] = []
    declared = {
        d.variable.name.value: d.default_value
        for d in operation.variable_definitions or ()
        if d.default_value is not None
    }
    strings = argument_strings(operation.selection_set, fragments, variables, declared)
    for path, value in strings:
        problem = string_problem(value, field_kind(path))
        if problem:
            field = ".".join(path)
            errors.append(
                GraphQLError(
                    f"`{field}` {problem}.",
                    extensions={"code": BAD_INPUT, "reason": "STRING_REFUSED", "field": field},
                )
            )
            if len(errors) == 5:
                break
    return errors


class InputSanitizer(SchemaExtension):
    """Refuse the operation before it runs when any string argument is refused."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            operation = operation_named(document.definitions, context.operation_name)
            if operation is not None:
                fragments = {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                }
                errors = input_problems(operation, fragments, context.variables or {})
                if errors:
                    context.result = ExecutionResult(data=None, errors=errors)
        yield


def operation_named(definitions: Any, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the named one, or the only one."""
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)
