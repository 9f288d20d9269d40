"""Run by LibreOffice's Python (the one with ``uno``), not by reportgen's: the 目录 page numbers of a .docx as
LibreOffice lays it out.

    python3 uno_toc.py REPORT.docx PROFILE_DIR

Starts a headless LibreOffice of its own (its user profile in PROFILE_DIR, so that concurrent runs never share
one), opens the document read-only and hidden, updates its first table of contents and prints one JSON line:
``{"entries": [[heading text, page number as printed], ...]}`` (``[]`` when the document has no 目录).  Any
failure prints ``{"error": "..."}`` and exits 1.  Imports nothing of reportgen (it runs outside its venv).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def _prop(name, value):
    from com.sun.star.beans import PropertyValue

    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def toc_entries(path: str, profile: str, wait: float = 60.0) -> list:
    import uno

    pipe = f"reportgen{os.getpid()}"
    office = subprocess.Popen(
        ["soffice", "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
         f"--accept=pipe,name={pipe};urp;", "-env:UserInstallation=" + uno.systemPathToFileUrl(profile)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + wait
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if office.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("LibreOffice did not start") from None
                time.sleep(0.1)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
                                           (_prop("Hidden", True), _prop("ReadOnly", True)))
        if doc is None:
            raise RuntimeError("LibreOffice could not open the document")
        try:
            indexes = doc.getDocumentIndexes()
            if indexes.getCount() == 0:
                return []
            toc = indexes.getByIndex(0)
            toc.update()                        # LibreOffice's own layout: its page numbers
            entries = []
            for line in toc.getAnchor().getString().splitlines():
                text, _, page = line.rpartition("\t")
                entries.append([text, page])
            return entries
        finally:
            doc.close(True)
            try:
                desktop.terminate()
            except Exception:
                pass                            # the bridge goes down with the office
    finally:
        try:
            office.wait(20)
        except subprocess.TimeoutExpired:
            office.kill()


def main() -> int:
    try:
        print(json.dumps({"entries": toc_entries(sys.argv[1], sys.argv[2])}, ensure_ascii=False))
        return 0
    except Exception as exc:                    # reported to reportgen, which says it in Chinese
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False))
        return 1


if __name__ == "__main__":
    sys.exit(main())
