"""`python -m desktop` runs the `lightbox` command."""

import sys

from desktop.cli import main

sys.exit(main())
