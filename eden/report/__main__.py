"""``python -m eden.report --sweep NAME [--uri URI] [--out DIR]``."""

from eden.report.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
