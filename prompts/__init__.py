"""Every prompt text the assistant sends to a language model, as files, with a small loader.

A prompt file (`prompts/NAME.txt`) starts with a header of `#` lines; the first declares the
variables the prompt takes, the others are comments:

    # variables: question, history, sources
    # What the prompt is for.
    === system ===
    ...text...
    === user ===
    ...text with {question}, {history} and {sources}...

`=== system ===`, `=== user ===` and `=== assistant ===` lines start the messages; a file without
them is one user message. In the text, `{name}` is a declared variable and `{{` / `}}` are literal
braces. Values are substituted in one pass and never re-read, so braces, `{name}` or `$name` inside
document text come out as they are. Loading checks that the text uses exactly the declared
variables; rendering checks that exactly the declared variables are given.

Text that is data (document passages, earlier turns) goes inside delimiters made with
`data_block()`, which escapes `&`, `<` and `>` so a document can never close its own delimiter.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

__all__ = ["Message", "Prompt", "PromptError", "data_block", "escape_data", "load_prompt", "parse_prompt", "PROMPT_DIR"]

PROMPT_DIR = Path(__file__).resolve().parent

_VARIABLES_HEADER = re.compile(r"^#\s*variables\s*:\s*(.*?)\s*$", re.IGNORECASE)
_SECTION = re.compile(r"^===\s*(system|user|assistant)\s*===\s*$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TAG = re.compile(r"^[a-z][a-z0-9_-]*$")


class PromptError(ValueError):
    """A prompt file is malformed, or a prompt was rendered with missing or undeclared variables."""


class Message(NamedTuple):
    """One rendered message: `role` is "system", "user" or "assistant"."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Prompt:
    """A parsed prompt: its declared variables and its message templates."""

    name: str
    variables: tuple[str, ...]
    parts: tuple[Message, ...]

    def render(self, **values: object) -> list[Message]:
        """The messages with every `{variable}` replaced by its value (converted with `str`)."""
        declared = set(self.variables)
        missing = [name for name in self.variables if name not in values]
        unknown = sorted(set(values) - declared)
        problems = []
        if missing:
            problems.append("missing variable(s): " + ", ".join(missing))
        if unknown:
            problems.append("undeclared variable(s): " + ", ".join(unknown))
        if problems:
            raise PromptError(f"prompt {self.name!r}: " + "; ".join(problems) + f" (declared: {', '.join(self.variables) or 'none'})")
        texts = {name: "" if value is None else str(value) for name, value in values.items()}
        return [Message(part.role, _substitute(part.content, texts)) for part in self.parts]

    def render_text(self, **values: object) -> str:
        """All messages as one text (for models without a system role)."""
        return "\n\n".join(message.content for message in self.render(**values))


def _substitute(template: str, values: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return values[match.group(1)]

    return _PLACEHOLDER.sub(replace, template)


def parse_prompt(name: str, text: str) -> Prompt:
    """Parse the text of a prompt file; raises PromptError when it is malformed."""
    lines = text.splitlines()
    if not lines:
        raise PromptError(f"prompt {name!r} is empty")
    header = _VARIABLES_HEADER.match(lines[0])
    if not header:
        raise PromptError(f"prompt {name!r} must start with a '# variables: a, b' line, not {lines[0][:60]!r}")
    variables = tuple(v.strip() for v in header.group(1).split(",") if v.strip())
    bad = [v for v in variables if not _IDENTIFIER.match(v)]
    if bad or len(set(variables)) != len(variables):
        raise PromptError(f"prompt {name!r} declares invalid or repeated variable names: {header.group(1)!r}")
    body_start = 1
    while body_start < len(lines) and lines[body_start].startswith("#"):
        body_start += 1

    parts: list[tuple[str, list[str]]] = []
    for line in lines[body_start:]:
        section = _SECTION.match(line)
        if section:
            parts.append((section.group(1).lower(), []))
        elif parts:
            parts[-1][1].append(line)
        else:
            parts.append(("user", [line]))
    messages = tuple(Message(role, "\n".join(body).strip("\n")) for role, body in parts)
    messages = tuple(m for m in messages if m.content.strip())
    if not messages:
        raise PromptError(f"prompt {name!r} has no text after its header")

    used: set[str] = set()
    for message in messages:
        used.update(m.group(1) for m in _PLACEHOLDER.finditer(message.content) if m.group(1))
    undeclared = sorted(used - set(variables))
    unused = [v for v in variables if v not in used]
    if undeclared:
        raise PromptError(f"prompt {name!r} uses undeclared variable(s) {', '.join(undeclared)}; declare them in its '# variables:' line or write literal braces as {{{{ }}}}")
    if unused:
        raise PromptError(f"prompt {name!r} declares variable(s) {', '.join(unused)} that its text never uses")
    return Prompt(name=name, variables=variables, parts=messages)


@lru_cache(maxsize=None)
def load_prompt(name: str) -> Prompt:
    """Load `prompts/NAME.txt` (parsed once, then cached)."""
    if not _IDENTIFIER.match(name):
        raise PromptError(f"invalid prompt name {name!r}")
    path = PROMPT_DIR / f"{name}.txt"
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in PROMPT_DIR.glob("*.txt"))) or "none"
        raise PromptError(f"no prompt named {name!r} in {PROMPT_DIR} (available: {available})")
    return parse_prompt(name, path.read_text(encoding="utf-8"))


def escape_data(text: str) -> str:
    """Escape `&`, `<` and `>` so data can never open or close a delimiter tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def data_block(tag: str, text: str, **attributes: object) -> str:
    """`<tag a="...">escaped text</tag>`: the one way data enters a prompt. None attributes are left out."""
    if not _TAG.match(tag):
        raise PromptError(f"invalid delimiter tag {tag!r}")
    attrs = "".join(
        f' {key}="{html.escape(" ".join(str(value).split()), quote=True)}"'
        for key, value in attributes.items()
        if value is not None and value != ""
    )
    return f"<{tag}{attrs}>\n{escape_data(text.strip())}\n</{tag}>"
