"""The test harness cleans up after itself: a private PostgreSQL leaves nothing in /tmp."""

from __future__ import annotations

import pytest

from tests import database as testdb


@pytest.mark.slow
def test_a_private_server_is_removed_with_the_directory_made_for_it() -> None:
    # given a private embedded PostgreSQL, as a run without TEST_DATABASE_URL and each drill start
    url, server, remove = testdb.private_server("medimyth-test-", database="harness_probe")
    scratch = server.pgdata.parent
    assert scratch.name.startswith("medimyth-test-")
    assert (scratch / "postgres" / "PG_VERSION").exists()
    # when it is removed
    remove()
    # then its data and the temporary directory around it are gone
    assert not scratch.exists()
    assert "harness_probe" in url
