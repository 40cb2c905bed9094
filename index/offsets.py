"""File offsets of repaired text: the one place that maps a position in text whose line-break
whitespace was removed back to the file it came from.

`gaps` lists (at, n): n whitespace characters of the file were dropped just before character
`at` of the repaired text (relative to the text's own start)."""

from __future__ import annotations


def file_offset(start: int, gaps: list[tuple[int, int]], i: int) -> int:
    """File offset of character i of the repaired text that begins at file offset `start`."""
    return start + i + sum(n for at, n in gaps if at <= i)


def file_span(start: int, gaps: list[tuple[int, int]], i: int, j: int) -> tuple[int, int]:
    """File offsets (start, end) of repaired text[i:j] (j > i)."""
    return file_offset(start, gaps, i), file_offset(start, gaps, j - 1) + 1


def gaps_within(gaps: list[tuple[int, int]], i: int, j: int) -> list[tuple[int, int]]:
    """The gaps inside text[i:j], relative to i (a piece cut out of the repaired text)."""
    return [(at - i, n) for at, n in gaps if i < at < j]
