"""Size limits: a file that would exhaust memory is refused with a message, not half-read.

The upload size is limited in ``.streamlit/config.toml`` (``server.maxUploadSize``); the app also
limits how many files and rows it reads. The command line reads files of any length (batch jobs),
but no reader accepts a header wider than ``MAX_COLUMNS``: no lab export is that wide.
"""

MAX_COLUMNS = 1_000
APP_MAX_FILES = 30
APP_MAX_ROWS = 500_000
