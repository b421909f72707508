"""`python -m desktop` runs the `lightbox` command."""

import multiprocessing
import sys

from desktop.cli import main

# Guarded: the note-preview helper process starts by importing the main module again.
if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
