"""StackReferences in Go, C# and Java programs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.stackrefs import names
from orchestrator.stackrefs.dialect import LAST, Dialect, Shape, arguments_of
from orchestrator.stackrefs.evaluate import Evaluator, Rules, Strings, text_of
from orchestrator.stackrefs.names import Pattern

if TYPE_CHECKING:
    from tree_sitter import Node


# --------------------------------------------------------------------------- Go


def _go_name(arguments: Node) -> Node | None:
    args = arguments_of(arguments)
    if len(args) >= 3:
        composite = args[2].named_children[0] if args[2].type == "unary_expression" else args[2]
        body = composite.child_by_field_name("body") if composite.type == "composite_literal" else None
        for element in body.named_children if body is not None else ():
            key, value = element.child_by_field_name("key"), element.child_by_field_name("value")
            if element.type == "keyed_element" and text_of(key) == "Name" and value is not None:
                return value.named_children[0] if value.type == "literal_element" else value
    return args[1] if len(args) >= 2 else None


def _go_call(node: Node, evaluate: Evaluator) -> Pattern | None:
    function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    args = arguments_of(arguments) if arguments is not None else []
    if not args:
        return None
    name = text_of(function)
    if name in ("fmt.Sprintf", "pulumi.Sprintf"):
        return names.printf(evaluate(args[0]))
    if name in ("pulumi.String", "pulumi.StringPtr", "pulumi.StringInput", "string"):
        return evaluate(args[0])
    return None


def _go_bindings(node: Node) -> list[tuple[str, Node]]:
    if node.type == "short_var_declaration":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        targets = arguments_of(left) if left is not None else []
        values = arguments_of(right) if right is not None else []
    else:  # var_spec, const_spec
        targets = node.children_by_field_name("name")
        value = node.child_by_field_name("value")
        values = arguments_of(value) if value is not None else []
    if len(targets) != len(values):
        return []  # `a, err := f()`: not a constant
    return [(text_of(t), v) for t, v in zip(targets, values, strict=True) if t.type == "identifier"]


_GO_RULES = Rules(
    strings=Strings(
        literals=frozenset({"interpreted_string_literal", "raw_string_literal"}),
        content=frozenset({"interpreted_string_literal_content", "raw_string_literal_content"}),
        escapes=frozenset({"escape_sequence"}),
        holes=frozenset(),
    ),
    concatenations=frozenset({"binary_expression"}),
    wrappers=frozenset({"parenthesized_expression"}),
    calls=frozenset({"call_expression"}),
    format_call=_go_call,
)
_GO_SHAPES = (
    Shape("identifier", (("call_expression", "function"),)),  # NewStackReference(ctx, ...)
    Shape("field_identifier", (("selector_expression", "field"), ("call_expression", "function"))),
)
_GO_BINDINGS = "[(short_var_declaration) (var_spec) (const_spec)] @binding"


def _go() -> object:
    import tree_sitter_go

    return tree_sitter_go.language()


GO = Dialect(
    name="Go",
    extensions=(".go",),
    grammar=_go,
    rules=_GO_RULES,
    callee="NewStackReference",
    shapes=_GO_SHAPES,
    arguments=("arguments", "argument_list"),
    name_argument=_go_name,
    binding_query=_GO_BINDINGS,
    bindings_of=_go_bindings,
)


# --------------------------------------------------------------------------- C#


def _csharp_name(arguments: Node) -> Node | None:
    args = [a for a in arguments_of(arguments) if a.type == "argument"]
    named = {text_of(a.child_by_field_name("name")): _argument_value(a) for a in args if a.child_by_field_name("name")}
    if named.get("args") is not None or len(args) >= 2:
        options = named.get("args") or _argument_value(args[1])
        initializer = options.child_by_field_name("initializer") if options is not None else None
        for assignment in initializer.named_children if initializer is not None else ():
            if assignment.type == "assignment_expression" and text_of(assignment.child_by_field_name("left")) == "Name":
                return assignment.child_by_field_name("right")
    if "name" in named:
        return named["name"]
    return _argument_value(args[0]) if args else None


def _argument_value(argument: Node) -> Node | None:
    """The expression of a C# argument (after `name:` and `ref`/`out`, if any)."""
    values = [c for c in argument.named_children if c != argument.child_by_field_name("name")]
    return values[-1] if values else None


def _csharp_call(node: Node, evaluate: Evaluator) -> Pattern | None:
    function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    args = [_argument_value(a) for a in arguments_of(arguments)] if arguments is not None else []
    if not args:
        return None
    name = text_of(function)
    if name in ("string.Format", "String.Format", "System.String.Format"):
        return names.braces(evaluate(args[0]))
    if name in ("Output.Format", "Output.Create"):
        return evaluate(args[0])
    return None


def _csharp_bindings(node: Node) -> list[tuple[str, Node]]:
    name = node.child_by_field_name("name")
    values = [c for c in node.named_children if c != name and c.type != "bracketed_argument_list"]
    if name is None or len(values) != 1:
        return []
    value = values[0].named_children[0] if values[0].type == "equals_value_clause" else values[0]
    return [(text_of(name), value)]


def _verbatim(text: str) -> str:
    return text.removeprefix("@").removeprefix("$").removeprefix("@").strip('"').replace('""', '"')


_CSHARP_RULES = Rules(
    strings=Strings(
        literals=frozenset({"string_literal", "interpolated_string_expression", "raw_string_literal"}),
        content=frozenset({"string_literal_content", "string_content", "raw_string_content"}),
        escapes=frozenset({"escape_sequence"}),
        holes=frozenset({"interpolation"}),
        leaves={"verbatim_string_literal": _verbatim},
    ),
    concatenations=frozenset({"binary_expression"}),
    wrappers=frozenset({"parenthesized_expression", "cast_expression"}),
    calls=frozenset({"invocation_expression"}),
    format_call=_csharp_call,
)


def _csharp() -> object:
    import tree_sitter_c_sharp

    return tree_sitter_c_sharp.language()


CSHARP = Dialect(
    name="C#",
    extensions=(".cs",),
    grammar=_csharp,
    rules=_CSHARP_RULES,
    callee="StackReference",
    shapes=(
        Shape("identifier", (("object_creation_expression", "type"),)),  # new StackReference(...)
        Shape("identifier", (("qualified_name", "name"), ("object_creation_expression", "type"))),  # Pulumi.…
    ),
    arguments=("arguments", "argument_list"),
    name_argument=_csharp_name,
    binding_query="(variable_declarator) @binding",
    bindings_of=_csharp_bindings,
)


# --------------------------------------------------------------------------- Java


def _java_name(arguments: Node) -> Node | None:
    args = arguments_of(arguments)
    if len(args) >= 2:  # StackReferenceArgs.builder().name(x).build()
        call: Node | None = args[1]
        while call is not None and call.type == "method_invocation":
            if text_of(call.child_by_field_name("name")) == "name":
                inner = call.child_by_field_name("arguments")
                values = arguments_of(inner) if inner is not None else []
                return values[0] if values else None
            call = call.child_by_field_name("object")
    return args[0] if args else None


def _java_call(node: Node, evaluate: Evaluator) -> Pattern | None:
    target, method = node.child_by_field_name("object"), text_of(node.child_by_field_name("name"))
    arguments = node.child_by_field_name("arguments")
    args = arguments_of(arguments) if arguments is not None else []
    if method == "format" and text_of(target) in ("String", "java.lang.String") and args:
        return names.printf(evaluate(args[0]))
    if method == "formatted" and target is not None:
        return names.printf(evaluate(target))
    if method in ("valueOf", "of") and text_of(target) in ("String", "Output") and len(args) == 1:
        return evaluate(args[0])
    return None


def _java_bindings(node: Node) -> list[tuple[str, Node]]:
    name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    return [(text_of(name), value)] if name is not None and value is not None else []


_JAVA_RULES = Rules(
    strings=Strings(
        literals=frozenset({"string_literal"}),
        content=frozenset({"string_fragment", "multiline_string_fragment"}),
        escapes=frozenset({"escape_sequence"}),
        holes=frozenset({"string_interpolation"}),
    ),
    concatenations=frozenset({"binary_expression"}),
    wrappers=frozenset({"parenthesized_expression", "cast_expression"}),
    calls=frozenset({"method_invocation"}),
    format_call=_java_call,
)


def _java() -> object:
    import tree_sitter_java

    return tree_sitter_java.language()


JAVA = Dialect(
    name="Java",
    extensions=(".java",),
    grammar=_java,
    rules=_JAVA_RULES,
    callee="StackReference",
    shapes=(
        Shape("type_identifier", (("object_creation_expression", "type"),)),  # new StackReference(...)
        # new com.pulumi.resources.StackReference(...): the last name of the scoped type
        Shape("type_identifier", (("scoped_type_identifier", LAST), ("object_creation_expression", "type"))),
    ),
    arguments=("arguments", "argument_list"),
    name_argument=_java_name,
    binding_query="(variable_declarator) @binding",
    bindings_of=_java_bindings,
)
