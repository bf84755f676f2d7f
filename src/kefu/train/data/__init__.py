"""Training data: readers for .json/.jsonl, format converters, splitting and mixing."""

from kefu.train.data.formats import (
    Conversation,
    Preference,
    normalize_conversation,
    normalize_preferences,
    normalize_text,
)
from kefu.train.data.io import Record, read_records
from kefu.train.data.mix import DatasetSpec, load_mixture, split_records

__all__ = ["Conversation", "Preference", "Record", "DatasetSpec", "normalize_conversation",
           "normalize_preferences", "normalize_text", "read_records", "load_mixture", "split_records"]
