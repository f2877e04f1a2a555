"""Abuse limits checked before execution: depth, aliases, tokens and a node budget.

The validation rules are built once, at import: graphql-core's validation cache is keyed by
the rule classes, and a factory that built new classes per request made the hit rate 0 %
(DESIGN.md, performance conventions).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

from core.pagination import PAGE_SIZE_CAP
from core.settings import Settings

PAGE_ARGUMENTS = ("first", "last")


def count_nodes(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    multiplier: int = 1,
    seen: frozenset[str] = frozenset(),
) -> int:
    """GitHub's node limit: each connection multiplies its children by its `first`.

    A `first` given by a variable counts as the page-size cap: validation runs before
    variables are known, and the worst case is what a budget must bound.
    """
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            size = _page_size(selection)
            if size is None:
                total += count_nodes(selection.selection_set, fragments, multiplier, seen)
            else:
                nodes = multiplier * size
                total += nodes + count_nodes(selection.selection_set, fragments, nodes, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += count_nodes(selection.selection_set, fragments, multiplier, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:  # cycles are another rule's error
                total += count_nodes(fragment.selection_set, fragments, multiplier, seen | {name})
    return total


def _page_size(field: FieldNode) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value in PAGE_ARGUMENTS:
            if isinstance(argument.value, IntValueNode):
                return max(int(argument.value.value), 0)
            return PAGE_SIZE_CAP
    return None


def node_budget_rule(max_nodes: int) -> type[ValidationRule]:
    class NodeBudget(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> None:
            context: ValidationContext = self.context
            fragments = {
                d.name.value: d
                for d in context.document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            nodes = count_nodes(node.selection_set, fragments)
            if nodes > max_nodes:
                self.report_error(
                    GraphQLError(
                        f"This query could return up to {nodes:,} nodes; the limit is "
                        f"{max_nodes:,}. Ask for smaller pages (`first`) or fewer nested lists.",
                        node,
                        extensions={"code": "QUERY_TOO_COMPLEX", "nodes": nodes},
                    )
                )

    return NodeBudget


def validation_rules(settings: Settings) -> tuple[type[ValidationRule], ...]:
    """All limit rules for one schema; call once per schema, never per request."""
    return (
        *QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        node_budget_rule(settings.max_nodes),
    )


class QueryLimits(SchemaExtension):
    """Token limit for the parser, limit rules for validation: one extension, so a request
    pays for one hook instead of two."""

    def __init__(self, rules: tuple[type[ValidationRule], ...], max_tokens: int) -> None:
        self.rules = rules
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        yield
