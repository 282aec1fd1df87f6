"""The evidence engine: find the studies about a claim, read their findings sentence by sentence
with the learned stance model, and say what each study shows (`reading.py`)."""
