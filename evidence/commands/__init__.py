"""The `evidence` command's commands, one module per group: `importing.py` (import), `pubmed.py` (harvest),
`checking.py` (claims extract, link, check, audit, export), `site.py` (serve, up); `common.py`
holds what they share. `evidence/cli.py` gathers them into the group."""
