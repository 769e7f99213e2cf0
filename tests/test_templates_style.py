"""Template house style: no template line longer than MAX_LINE characters (issue #13).

Long lines are broken at tag boundaries, between attributes, or between template tags, so that the
rendered page does not change; `{% blocktrans trimmed %}` keeps a long message on several lines with
the same msgid."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "monev", "musrenbang", "attendance")
MAX_LINE = 200

# Template path (relative to the repository root) -> why it may still have longer lines. Keep empty if you can.
EXEMPT: dict[str, str] = {}  # template path -> why its long lines stay (none today)


def template_files():
    for app in APPS:
        for path in sorted((ROOT / app).glob("**/templates/**/*.html")):
            if ".venv" not in path.parts:
                yield path


def test_template_lines_are_at_most_200_characters():
    files = list(template_files())
    assert files, "no templates found: the test is looking in the wrong place"
    too_long = []
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        if rel in EXEMPT:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if len(line) > MAX_LINE:
                too_long.append(f"{rel}:{number} ({len(line)} characters)")
    assert not too_long, f"template lines longer than {MAX_LINE} characters:\n" + "\n".join(too_long)
