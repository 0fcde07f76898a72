"""Entry point of the one-file binary (PyInstaller analyses from here)."""

import sys

from cflexagent.cli import main

if __name__ == "__main__":
    sys.exit(main())
