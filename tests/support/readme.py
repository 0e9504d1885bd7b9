"""The commands README.md shows, read from its code blocks and inline code.

A command is a line of a ```sh block (with its continuation lines and its
quoted lines), or an inline code span that starts with a program a user runs.
A synopsis line is expanded into the commands it stands for: `[OPTION]`
groups are all included, `A | B` gives one command per alternative.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

PROGRAMS = frozenset(
    {
        "almanac",
        "bash",
        "celery",
        "createdb",
        "curl",
        "docker",
        "dropdb",
        "export",
        "git",
        "honcho",
        "make",
        "mypy",
        "openssl",
        "pip",
        "psql",
        "python",
        "redis-cli",
        "ruff",
        "sh",
        "uv",
        "uvicorn",
    }
)
"""Inline code that starts with one of these is a command."""

SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console"})
_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w-]*)\s*$")
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_STATUS = re.compile(r"(?<![\w.])([1-5]\d\d)(?![\w.])")


@dataclass(frozen=True)
class Command:
    """One command as the README writes it."""

    text: str
    """The command, its lines joined as the shell joins them, without its comment."""
    line: int
    """Where it starts in README.md (1-based)."""
    comment: str = ""
    """Its trailing comment and the comment lines just above it."""
    inline: bool = False

    @property
    def words(self) -> list[str]:
        return self.text.split()

    @property
    def expected_status(self) -> int | None:
        """The HTTP status its comment promises (`# 202 …`, `# Save it (201; …)`)."""
        found = _STATUS.search(self.comment)
        return int(found.group(1)) if found else None

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.text}"


@dataclass(frozen=True)
class Block:
    lang: str
    line: int
    """The line of its first content line."""
    lines: list[str]


def blocks(text: str) -> list[Block]:
    """Every fenced code block, indented ones (inside list items) too."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        indent = len(fence["indent"])
        body: list[str] = []
        first = index + 2
        index += 1
        while index < len(lines) and not lines[index].strip().startswith("```"):
            body.append(lines[index][indent:] if lines[index][:indent].isspace() else lines[index])
            index += 1
        found.append(Block(fence["lang"], first, body))
        index += 1
    return found


def _split_comment(line: str) -> tuple[str, str]:
    """The line's code and its `# comment`, a `#` inside quotes being code."""
    quote = ""
    for position, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position].rstrip(), line[position + 1 :].strip()
    return line.rstrip(), ""


def _complete(code: str) -> bool:
    """Whether the shell would end the command here: no open quote, no trailing `\\`."""
    if code.endswith("\\"):
        return False
    try:
        shlex.split(code)
    except ValueError:
        return False
    return True


def shell_commands(block: Block) -> list[Command]:
    """The commands of a shell block; comment lines above a command are its comment."""
    commands: list[Command] = []
    notes: list[str] = []
    code, comments, start = "", [], 0
    for offset, raw in enumerate(block.lines):
        if not code:
            stripped = raw.strip()
            if not stripped:
                notes = []
                continue
            if stripped.startswith("#"):
                notes.append(stripped.lstrip("#").strip())
                continue
            start = block.line + offset
            piece, comment = _split_comment(raw)
        else:
            # Inside quotes a `#` is text; after a continuation it may start a comment.
            inside_quotes = not _complete(code.rstrip("\\").rstrip())
            piece, comment = (raw, "") if inside_quotes else _split_comment(raw)
        if code.endswith("\\"):
            code = code[:-1].rstrip() + " " + piece.strip()
        elif code:
            code = code + "\n" + piece
        else:
            code = piece.strip()
        if comment:
            comments.append(comment)
        if _complete(code):
            commands.append(Command(code, start, " ".join([*notes, *comments])))
            code, comments, notes = "", [], []
    if code:
        raise ValueError(f"README.md:{start}: a command that never ends: {code!r}")
    return commands


def inline_commands(text: str) -> list[Command]:
    """Inline code spans, outside code blocks, that start with a program."""
    found: list[Command] = []
    in_block = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line) or line.strip().startswith("```"):
            in_block = not in_block
            continue
        if in_block:
            continue
        for span in _INLINE.findall(line):
            words = span.split()
            if words and words[0] in PROGRAMS:
                found.append(Command(span.strip(), number, inline=True))
    return found


def readme_commands(path: Path = README) -> list[Command]:
    """Every command of the README, in the order it shows them."""
    text = path.read_text()
    commands = inline_commands(text)
    for block in blocks(text):
        if block.lang in SHELL_LANGUAGES:
            commands.extend(shell_commands(block))
    return sorted(commands, key=lambda command: command.line)


def yaml_blocks(path: Path = README) -> list[Block]:
    return [block for block in blocks(path.read_text()) if block.lang in {"yaml", "yml"}]


_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_BARE_WORD = re.compile(r"^[a-z][a-z-]*$")


def expand(synopsis: str) -> list[str]:
    """The commands a synopsis line stands for: every `[…]` group included, one
    command per `A | B` alternative (`almanac sources enable SLUG | disable SLUG`
    is `almanac sources enable SLUG` and `almanac sources disable SLUG`)."""
    full = " ".join(_OPTIONAL.sub(r"\1", synopsis).split())
    if " | " not in full:
        return [full]
    first, *others = full.split(" | ")
    words = first.split()
    bare = [i for i, word in enumerate(words) if _BARE_WORD.match(word)]
    prefix = " ".join(words[: bare[-1]])
    return [first, *(f"{prefix} {other}" for other in others)]
