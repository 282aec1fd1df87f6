"""`evidence serve`: Datasette over the database with metadata.yml."""

from evidence.cli import metadata_for


def test_served_metadata_follows_the_database_file_name(tmp_path):
    metadata = metadata_for(tmp_path / "review-copy.db")
    assert list(metadata["databases"]) == ["review-copy"]
    assert metadata["databases"]["review-copy"]["tables"]["articles"]["fts_table"] == "articles_fts"
