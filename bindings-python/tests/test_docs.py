"""Every public class and method says what it does, at run time (`help()`,
`__doc__`, from the Rust `///` comments) and in the stub (editors), and the
two say the same."""

from __future__ import annotations

import ast
import enum
import inspect
import types
from pathlib import Path

import pytest

import partner_benefits as pb

STUB = Path(pb.__file__).parent / "_native.pyi"
DESCRIPTORS = (property, staticmethod, classmethod, types.GetSetDescriptorType, types.MemberDescriptorType)


def public_classes() -> list[type]:
    return [obj for name in pb.__all__ if inspect.isclass(obj := getattr(pb, name))]


def members(cls: type) -> list[tuple[str, object]]:
    """The class's own public methods and attributes with behaviour (not plain values, not enum members)."""
    found = []
    for name, member in vars(cls).items():
        if name.startswith("_") or (issubclass(cls, enum.Enum) and isinstance(member, cls)):
            continue
        if callable(member) or isinstance(member, DESCRIPTORS):
            found.append((name, member))
    return found


def doc_of(member: object) -> str | None:
    if isinstance(member, (staticmethod, classmethod)):
        member = member.__func__  # on 3.9 a staticmethod shows its own class's doc
    return getattr(member, "__doc__", None)


def normalized(text: str | None) -> str:
    return " ".join((text or "").split())


def test_there_is_something_to_check() -> None:
    classes = public_classes()
    assert pb.BenefitCenter in classes and pb.Session in classes and pb.Mailer in classes
    assert len(members(pb.Session)) > 30 and len(members(pb.Benefit)) > 15


@pytest.mark.parametrize("cls", public_classes(), ids=lambda c: c.__name__)
def test_every_public_class_and_method_has_a_docstring_at_run_time(cls: type) -> None:
    assert normalized(cls.__doc__), f"{cls.__name__} has no docstring"
    missing = [name for name, member in members(cls) if not normalized(doc_of(member))]
    assert not missing, f"{cls.__name__}: no docstring on {missing}"


def stub_entries() -> dict[str, str | None]:
    """`Class` and `Class.member` of the stub, with their docstrings."""
    entries: dict[str, str | None] = {}
    for node in ast.parse(STUB.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            entries[node.name] = ast.get_docstring(node, clean=False)
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                    entries[f"{node.name}.{item.name}"] = ast.get_docstring(item, clean=False)
    return entries


def test_every_class_and_method_of_the_stub_has_a_docstring() -> None:
    entries = stub_entries()
    assert "BenefitCenter.close" in entries and "Session.organization" in entries
    missing = [name for name, doc in entries.items() if not normalized(doc)]
    assert not missing, f"no docstring in the stub on {missing}"


def test_the_stub_says_what_help_says() -> None:
    """One text for each: the stub's docstrings are the runtime's."""
    differ = []
    for name, doc in stub_entries().items():
        owner, _, member = name.partition(".")
        runtime: object = getattr(pb, owner)
        if member:
            runtime = inspect.getattr_static(runtime, member)
        expected = doc_of(runtime) if member else getattr(runtime, "__doc__", None)
        if normalized(doc) != normalized(expected):
            differ.append(name)
    assert not differ, f"stub and runtime docstrings differ on {differ}"


def test_help_renders_the_center() -> None:
    text = pydoc_text(pb.BenefitCenter)
    assert "close" in text and "the store" in text.lower()


def pydoc_text(obj: object) -> str:
    import pydoc

    return pydoc.plain(pydoc.render_doc(obj))
