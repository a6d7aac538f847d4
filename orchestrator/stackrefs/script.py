"""StackReferences in TypeScript, JavaScript and Python programs."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from orchestrator.stackrefs import names
from orchestrator.stackrefs.dialect import Dialect, Shape, arguments_of
from orchestrator.stackrefs.evaluate import Evaluator, Rules, Strings, callee_name, text_of
from orchestrator.stackrefs.names import Pattern

if TYPE_CHECKING:
    from tree_sitter import Node


# --------------------------------------------------------------------------- TypeScript / JavaScript


def _js_name(arguments: Node) -> Node | None:
    args = arguments_of(arguments)
    if len(args) >= 2 and args[1].type == "object":
        for pair in args[1].named_children:
            if pair.type == "pair" and text_of(pair.child_by_field_name("key")).strip("'\"") == "name":
                return pair.child_by_field_name("value")
    return args[0] if args else None


def _js_call(node: Node, evaluate: Evaluator) -> Pattern | None:
    function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if arguments is not None and arguments.type == "template_string":  # pulumi.interpolate`...`
        return evaluate(arguments)
    if arguments is not None and callee_name(function) in ("String", "concat"):  # String(x), pulumi.concat(...)
        return names.concat(evaluate(arg) for arg in arguments_of(arguments))
    return None


def _js_bindings(node: Node) -> list[tuple[str, Node]]:
    name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    return [(text_of(name), value)] if name is not None and name.type == "identifier" and value is not None else []


_JS_RULES = Rules(
    strings=Strings(
        literals=frozenset({"string", "template_string"}),
        content=frozenset({"string_fragment"}),
        escapes=frozenset({"escape_sequence"}),
        holes=frozenset({"template_substitution"}),
    ),
    concatenations=frozenset({"binary_expression"}),
    wrappers=frozenset(
        {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression", "type_assertion"}
    ),
    calls=frozenset({"call_expression"}),
    format_call=_js_call,
)
_JS_SHAPES = (
    Shape("identifier", (("new_expression", "constructor"),)),  # new StackReference(...)
    Shape("property_identifier", (("member_expression", "property"), ("new_expression", "constructor"))),
)
_JS_BINDINGS = "(variable_declarator) @binding"


def _typescript() -> object:
    import tree_sitter_typescript

    return tree_sitter_typescript.language_typescript()


def _tsx() -> object:
    import tree_sitter_typescript

    return tree_sitter_typescript.language_tsx()


def _javascript() -> object:
    import tree_sitter_javascript

    return tree_sitter_javascript.language()


# --------------------------------------------------------------------------- Python


def _python_name(arguments: Node) -> Node | None:
    positional: list[Node] = []
    keywords: dict[str, Node] = {}
    for arg in arguments_of(arguments):
        if arg.type == "keyword_argument":
            value = arg.child_by_field_name("value")
            if value is not None:
                keywords[text_of(arg.child_by_field_name("name"))] = value
        elif arg.type not in ("list_splat", "dictionary_splat"):
            positional.append(arg)
    if "stack_name" in keywords:
        return keywords["stack_name"]
    if len(positional) >= 2:
        return positional[1]  # StackReference(name, stack_name)
    return positional[0] if positional else keywords.get("name")


def _python_call(node: Node, evaluate: Evaluator) -> Pattern | None:
    function, arguments = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if function is not None and function.type == "attribute" and callee_name(function) == "format":
        return names.braces(evaluate(function.child_by_field_name("object")))  # "{}/net/{}".format(...)
    if arguments is not None and text_of(function) == "str":
        return names.concat(evaluate(arg) for arg in arguments_of(arguments))
    return None


def _python_bindings(node: Node) -> list[tuple[str, Node]]:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    return [(text_of(left), right)] if left is not None and left.type == "identifier" and right is not None else []


_PYTHON_RULES = Rules(
    strings=Strings(
        literals=frozenset({"string", "concatenated_string"}),
        content=frozenset({"string_content"}),
        escapes=frozenset({"escape_sequence"}),
        holes=frozenset({"interpolation"}),
    ),
    concatenations=frozenset({"binary_operator"}),
    wrappers=frozenset({"parenthesized_expression"}),
    calls=frozenset({"call"}),
    format_call=_python_call,
    percent_formats=True,
)


def _python() -> object:
    import tree_sitter_python

    return tree_sitter_python.language()




_PYTHON_SHAPES = (
    Shape("identifier", (("call", "function"),)),  # StackReference(...)
    Shape("identifier", (("attribute", "attribute"), ("call", "function"))),  # pulumi.StackReference(...)
)

TYPESCRIPT = Dialect(
    name="TypeScript",
    extensions=(".ts", ".mts", ".cts"),
    grammar=_typescript,
    rules=_JS_RULES,
    callee="StackReference",
    shapes=_JS_SHAPES,
    arguments=("arguments", "arguments"),
    name_argument=_js_name,
    binding_query=_JS_BINDINGS,
    bindings_of=_js_bindings,
)
TSX = replace(TYPESCRIPT, extensions=(".tsx",), grammar=_tsx)
JAVASCRIPT = replace(TYPESCRIPT, name="JavaScript", extensions=(".js", ".mjs", ".cjs", ".jsx"), grammar=_javascript)
PYTHON = Dialect(
    name="Python",
    extensions=(".py",),
    grammar=_python,
    rules=_PYTHON_RULES,
    callee="StackReference",
    shapes=_PYTHON_SHAPES,
    arguments=("arguments", "argument_list"),
    name_argument=_python_name,
    binding_query="(assignment) @binding",
    bindings_of=_python_bindings,
)
