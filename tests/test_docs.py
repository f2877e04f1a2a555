"""Everything a user needs is in the repository: the README's links resolve inside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_links_stay_inside_the_repository_and_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    assert "docs/DESIGN.md" in links and "docs/STYLE.md" in links
    for link in links:
        if link.startswith(("http://", "https://")):
            continue
        target = (ROOT / link).resolve()
        assert target.is_relative_to(ROOT), link
        assert target.exists(), link
    assert "../" not in readme  # no document outside the repository


def test_every_pdex_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (ROOT / "core" / "settings.py", ROOT / "server" / "workers.py")
    )
    for name in sorted(set(re.findall(r'"(PDEX_[A-Z_]+)"', code))):
        assert name in readme, name
