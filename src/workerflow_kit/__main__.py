"""`python -m workerflow_kit` is the same door as the `workerflow-kit` console script."""

from workerflow_kit.cli import main

if __name__ == "__main__":
    main()
