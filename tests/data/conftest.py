"""Fixtures of the data tests (helpers: data_helpers.py)."""

import pytest
from data_helpers import data_config, write_folder_dataset


@pytest.fixture
def toy_dataset(tmp_path):
    """A 4-image-per-domain folder dataset; returns its data config."""
    write_folder_dataset(tmp_path)
    return data_config(dataset="toy", data_root=str(tmp_path))
