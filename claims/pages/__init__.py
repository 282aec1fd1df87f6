"""Reading website copy: a page from a file or URL as readable text (`read.py`) and the
checkable claims in it (`extract.py`)."""
