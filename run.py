"""CityWall entry point: ``python run.py [serve|pull|seed|db] --help``."""
import sys

from dashboard.cli import main

if __name__ == "__main__":
    sys.exit(main())
